"""Checklist templates (per record type and, optionally, incident category) and the checklists
put on records from them, item by item, with who ticked each and when."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk import registry
from servicedesk.ordered import OrderedItem


def record_type_choices() -> list[tuple[str, str]]:
    return [(t.key, str(t.name)) for t in registry.all_types()]


class ChecklistTemplate(models.Model):
    """What an administrator wants done on every record of a type (and category): put on a
    record when it is created with that category or recategorised into it."""

    name = models.CharField(_("name"), max_length=200)
    record_type = models.CharField(
        _("record type"),
        max_length=40,
        help_text=_("Which records get it: incident, problem, change, request..."),
    )
    # Incident categories (problems use them too). Empty: every record of the type.
    category = models.ForeignKey(
        "incidents.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Empty: every record of the type. A category also matches as subcategory."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["record_type", "name"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        indexes = [
            models.Index(
                fields=["record_type", "category"],
                condition=Q(is_active=True),
                name="chk_template_match_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.record_type not in {key for key, _label in record_type_choices()}:
            raise ValidationError({"record_type": _("Choose a record type.")})


class ChecklistTemplateItem(OrderedItem):
    """One step of a template, copied onto each checklist made from it."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    required = models.BooleanField(
        _("required before resolving"),
        default=False,
        help_text=_("The record cannot be resolved while this item is open."),
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")


class Checklist(models.Model):
    """A template's items put on one record (content type and id, as every kernel row)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    template = models.ForeignKey(
        ChecklistTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    name = models.CharField(_("name"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        indexes = [models.Index(fields=["content_type", "object_id"], name="chk_record_idx")]
        constraints = [
            # A template's checklist goes on a record once (recategorised back and forth too).
            models.UniqueConstraint(
                fields=["content_type", "object_id", "template"],
                name="checklists_checklist_once_per_record",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(OrderedItem):
    """One thing to do on a record; ticked (done_at, done_by) or open."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    required = models.BooleanField(_("required before resolving"), default=False)
    done_at = models.DateTimeField(_("ticked"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticked by"),
    )

    class Meta:
        ordering = ["checklist", "order", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        indexes = [
            models.Index(
                fields=["checklist"],
                condition=Q(required=True, done_at__isnull=True),
                name="chk_item_required_open_idx",
            )
        ]

    @property
    def done(self) -> bool:
        return self.done_at is not None
