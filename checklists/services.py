"""Every write on checklists: putting one on a record (by hand, or automatically when the record
gets a category or is created), ticking an item, and the guard that keeps a record with required
items open from being resolved.

Each public function runs in one transaction with its audit rows on the record's timeline
(agent-only `field_changed` events on the field "checklist"). Errors: ValidationError by field,
AlreadyExists and TransitionNotAllowed (409), PermissionDenied.
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from checklists.models import Checklist, ChecklistItem, ChecklistTemplate
from servicedesk import events, memo, registry
from servicedesk import services as kernel
from servicedesk.actors import is_system_actor, system_actor
from servicedesk.announce import CREATED, FIELD_CHANGED
from servicedesk.exceptions import AlreadyExists
from servicedesk.models import AuditKind, BaseRecord
from servicedesk.workflow import Meaning

CATEGORY_MODEL = "incidents.Category"
CATEGORY_FIELDS = ("category", "subcategory")


def _record_categories(record: BaseRecord) -> list[int]:
    """The record's incident categories (category and subcategory), where its type has them."""
    found = []
    for name in CATEGORY_FIELDS:
        try:
            field = record._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        related = getattr(field, "related_model", None)
        value = getattr(record, f"{name}_id", None)
        if related is not None and related._meta.label == CATEGORY_MODEL and value:
            found.append(value)
    return found


def templates_for(record: BaseRecord) -> QuerySet[ChecklistTemplate]:
    """The active templates that fit the record: its type's, for every record of the type or
    for its category (or subcategory). One indexed query."""
    record_type = registry.for_model(type(record))
    if record_type is None:
        return ChecklistTemplate.objects.none()
    fits = Q(category__isnull=True)
    categories = _record_categories(record)
    if categories:
        fits |= Q(category_id__in=categories)
    return ChecklistTemplate.objects.filter(fits, record_type=record_type.key, is_active=True)


def _may_fit(record: BaseRecord) -> bool:
    """Whether an active template may fit the record, from the (record type, category) pairs
    kept in each process (`servicedesk.memo`): most records fit none, and ask nothing."""
    record_type = registry.for_model(type(record))
    if record_type is None:
        return False
    fitting = memo.reference("checklists:template-fits", _template_fits)
    return any((record_type.key, key) in fitting for key in [None, *_record_categories(record)])


def _template_fits() -> set[tuple[str, int | None]]:
    return set(
        ChecklistTemplate.objects.filter(is_active=True).values_list("record_type", "category_id")
    )


def _put(*, record: BaseRecord, template: ChecklistTemplate, actor) -> Checklist:
    """Copy the template's items onto the record; AlreadyExists when it is there already."""
    content_type = ContentType.objects.get_for_model(record)
    if Checklist.objects.filter(
        content_type=content_type, object_id=record.pk, template=template
    ).exists():
        raise AlreadyExists(_("This checklist is on the record already."))
    checklist = Checklist.objects.create(
        content_type=content_type,
        object_id=record.pk,
        template=template,
        name=template.name,
        created_by=actor,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=checklist, title=item.title, required=item.required,
                      order=item.order)
        for item in template.items.all()
    )  # fmt: skip
    events.record_event(
        record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="checklist",
        new_text=checklist.name, note=_("Checklist added"), public=False,
    )  # fmt: skip
    return checklist


@transaction.atomic
def checklist_add(*, record: BaseRecord, template: ChecklistTemplate, actor) -> Checklist:
    """Staff put a template's checklist on a record by hand.

    Preconditions: none (the staff check is here). The record is locked. Raises
    PermissionDenied, TransitionNotAllowed (a finished record), ValidationError on `template`
    (another record type's, or inactive) and AlreadyExists (409, on the record already).
    """
    kernel.ensure_can_work(actor, model=type(record))
    locked = kernel.record_lock(model=type(record), pk=record.pk)
    kernel.ensure_not_final(locked)
    if not templates_offered(locked).filter(pk=template.pk).exists():
        raise ValidationError({"template": [_("This checklist is not for this record.")]})
    return _put(record=locked, template=template, actor=actor)


def templates_offered(record: BaseRecord) -> QuerySet[ChecklistTemplate]:
    """The templates an agent may add by hand: every active one of the record's type."""
    record_type = registry.for_model(type(record))
    if record_type is None:
        return ChecklistTemplate.objects.none()
    return ChecklistTemplate.objects.filter(record_type=record_type.key, is_active=True)


def checklists_apply(*, record: BaseRecord) -> list[Checklist]:
    """Put on the record every fitting template's checklist it does not have yet, as the
    system actor (none on a finished record: an imported closed one). Precondition: inside the
    transaction that created or recategorised it."""
    if type(record).WORKFLOW.is_final(record.status) or not _may_fit(record):
        return []
    present = Checklist.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).values("template_id")
    templates = templates_for(record).exclude(pk__in=present).prefetch_related("items")
    return [_put(record=record, template=t, actor=system_actor()) for t in templates]


def checklists_announced(*, record, kind: str, actor, detail: dict[str, Any]) -> None:
    """The kernel's announcement listener (servicedesk/announce.py): a record created, or its
    category changed, gets the checklists of its type and category."""
    if kind == CREATED or (kind == FIELD_CHANGED and detail.get("field") in CATEGORY_FIELDS):
        checklists_apply(record=record)


@transaction.atomic
def checklist_item_tick(*, item_id: int, actor, done: bool = True) -> ChecklistItem:
    """Tick (or untick) an item: who and when are kept on the item and on the record's timeline.

    Preconditions: none (the staff check is here). Locks the record, then the item (parent
    before child). Ticking what is ticked changes nothing. Raises ChecklistItem.DoesNotExist,
    PermissionDenied and TransitionNotAllowed (a finished record).
    """
    content_type_id, object_id = (
        ChecklistItem.objects.filter(pk=item_id)
        .values_list("checklist__content_type_id", "checklist__object_id")
        .get()
    )
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or not issubclass(model, BaseRecord) or registry.for_model(model) is None:
        raise ChecklistItem.DoesNotExist(item_id)
    kernel.ensure_can_work(actor, model=model)
    record = kernel.record_lock(model=model, pk=object_id)
    kernel.ensure_not_final(record)
    item = ChecklistItem.objects.select_for_update().get(pk=item_id)
    if item.done == done:
        return item
    item.done_at = timezone.now() if done else None
    item.done_by = actor if done else None
    item.save(update_fields=["done_at", "done_by"])
    events.record_event(
        record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="checklist",
        old_value=not done, new_value=done, new_text=item.title, note=item.title,
        public=False,
    )  # fmt: skip
    return item


def required_items_guard(
    record, *, source: str, target: str, meaning: Meaning, automatic: bool, actor, context
) -> str | None:
    """A kernel record guard (servicedesk.workflow.RECORD_GUARDS): a record with required
    checklist items open cannot be resolved by a person. Moves between resolved states
    (resolved to closed), the services' automatic moves and the automation's (the system
    actor: a monitoring recovery, an import, the demo history) are not held: the checklist is
    the agents' list."""
    if automatic or meaning != Meaning.RESOLVED or is_system_actor(actor):
        return None
    if type(record).WORKFLOW.meaning(source) == Meaning.RESOLVED:
        return None
    open_items = list(
        ChecklistItem.objects.filter(
            checklist__content_type=ContentType.objects.get_for_model(record),
            checklist__object_id=record.pk,
            required=True,
            done_at__isnull=True,
        ).values_list("title", flat=True)[:4]
    )
    if not open_items:
        return None
    shown = ", ".join(f"“{title}”" for title in open_items[:3])
    if len(open_items) > 3:
        shown += " …"
    return _(
        "%(number)s cannot be resolved yet: tick its required checklist items first (%(items)s)."
    ) % {"number": record.number, "items": shown}
