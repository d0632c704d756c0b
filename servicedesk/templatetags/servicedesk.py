from typing import Any

from django import template
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from servicedesk.events import FIELD_LABELS
from servicedesk.selectors import link_label

register = template.Library()

# Labels of audit "fields" that are no model field (an app's own rows on a record: its tags,
# watchers, the macro applied), registered by that app: {name: lazy translated label}.
AUDIT_FIELD_LABELS: dict[str, Any] = {}


@register.filter
def audit_field_label(event) -> str:
    """The translated label of the field an audit event changed (its raw name as a fallback)."""
    if event.field in AUDIT_FIELD_LABELS:
        return str(AUDIT_FIELD_LABELS[event.field])
    # A content type whose model is gone, or a name that is no field: AttributeError below.
    model: Any = ContentType.objects.get_for_id(event.content_type_id).model_class()
    try:
        return str(model._meta.get_field(event.field).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return str(FIELD_LABELS.get(event.field, event.field))


@register.filter
def audit_value(event, side: str) -> str:
    """An audit event's old or new value as the reader should see it, the one place every
    timeline formats a value: a yes/no in the reader's language (never "True"), a choice (a
    status, an impact...) by its label in the reader's language (a model whose lists are data
    gives them with `audit_choices(field) -> {value: label}`), anything else as it was written.
    """
    raw = event.old_value if side == "old" else event.new_value
    text = event.old_text if side == "old" else event.new_text
    if isinstance(raw, bool):
        return _("Yes") if raw else _("No")
    model: Any = ContentType.objects.get_for_id(event.content_type_id).model_class()
    try:
        field = model._meta.get_field(event.field)
    except (FieldDoesNotExist, AttributeError):
        return text
    choices = dict(field.flatchoices) if field.choices else {}
    if not choices and hasattr(model, "audit_choices"):  # lists an administrator keeps
        choices = model.audit_choices(event.field)
    if isinstance(raw, list | dict):  # never a key of the choices
        return text
    return str(choices[raw]) if raw in choices else text


@register.filter
def audit_link(event) -> str:
    """A `linked`/`unlinked` event read from its record: "duplicate of INC0000012", the label
    in the reader's language."""
    value = event.new_value or event.old_value or {}
    if not isinstance(value, dict):
        return event.new_text
    label = link_label(str(value.get("kind", "")), reverse=bool(value.get("reverse")))
    return f"{label} {value.get('number', event.new_text)}"


@register.simple_tag
def approval_summary(approval) -> str:
    """The template that shows an approver what the approval's record asks for (its record
    type's `ApprovalHooks.summary_template`), or "" when the type declares none."""
    from servicedesk.approvals.selectors import approval_summary_template

    return approval_summary_template(approval)


@register.simple_tag(takes_context=True)
def record_panels(context, record) -> str:
    """The panels other apps add to this record's page (servicedesk.panels), rendered in order
    in the page's own context (no context processor runs again) plus each panel's own."""
    from django.utils.safestring import mark_safe

    from servicedesk import registry
    from servicedesk.panels import panel_context, panels_for

    record_type = registry.for_model(record)
    if record_type is None:
        return ""
    parts = []
    for panel in panels_for(record_type.key):
        extra = panel_context(panel, context.get("request"), record)
        if extra is None:
            continue
        template = context.template.engine.get_template(panel.template)
        with context.push(**extra):
            parts.append(template.render(context))
    return mark_safe("".join(parts))  # noqa: S308  rendered templates, escaped by them
