"""Custom fields on records: typed fields an administrator defines per record type (and
optionally per category), and the values records hold.

The types are the catalogue's request-item field types (`servicedesk.fieldtypes.FieldType`),
attachments apart (a record has its files). A value is one row per record and field, pointing
at the record by content type and id as the kernel's rows do, in a typed column so the queue
filters on it through an index.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from servicedesk.fieldtypes import FieldSpec, FieldType

# A record's own files are its attachments: a custom field is never a file.
RECORD_FIELD_TYPES = [(value, label) for value, label in FieldType.choices if value != "attachment"]
TEXT_LIMIT = 500


class CustomField(FieldSpec):
    """One field an administrator adds to a record type's records (all, or one category's)."""

    record_type = models.CharField(
        _("record type"), max_length=40, help_text=_("The record type's key (incident, ...).")
    )
    category = models.PositiveBigIntegerField(
        _("category"),
        null=True,
        blank=True,
        help_text=_("Only for records of this category (its id); empty: every record."),
    )
    labels = models.JSONField(
        _("label per language"),
        default=dict,
        blank=True,
        help_text=_('The label in other languages, e.g. {"fa": "…", "zh-hans": "…"}.'),
    )
    field_type = models.CharField(_("type"), max_length=12, choices=RECORD_FIELD_TYPES)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["record_type", "order", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["record_type", "name"], name="cf_field_unique_name"),
            models.CheckConstraint(
                condition=Q(field_type__in=[value for value, _label in RECORD_FIELD_TYPES]),
                name="cf_field_type_valid",
            ),
        ]

    @property
    def display_label(self) -> str:
        """The label in the reader's language when the administrator gave one, else `label`."""
        language = (get_language() or "").lower()
        labels = self.labels if isinstance(self.labels, dict) else {}
        return labels.get(language) or labels.get(language.split("-")[0]) or self.label

    def clean(self):
        super().clean()
        if self.max_length and self.max_length > TEXT_LIMIT:
            raise ValidationError(
                {"max_length": _("At most %(limit)d characters.") % {"limit": TEXT_LIMIT}}
            )
        if not isinstance(self.labels, dict) or not all(
            isinstance(v, str) for v in self.labels.values()
        ):
            raise ValidationError({"labels": _('Give the labels as {"language": "label"}.')})
        from servicedesk import registry

        try:
            record_type = registry.get(self.record_type)
        except KeyError:
            raise ValidationError({"record_type": _("No such record type.")}) from None
        if self.category is not None:
            from customfields.selectors import category_model

            model = category_model(record_type)
            if model is None:
                raise ValidationError({"category": _("This record type has no categories.")})
            if not model._default_manager.filter(pk=self.category).exists():
                raise ValidationError({"category": _("No such category.")})


class FieldValue(models.Model):
    """A record's value of one custom field, in the column of its type."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    value_text = models.CharField(max_length=TEXT_LIMIT, blank=True, default="")
    value_number = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    value_ref = models.PositiveBigIntegerField(null=True, blank=True)  # a person's or a CI's id
    display = models.CharField(max_length=TEXT_LIMIT, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("custom field value")
        verbose_name_plural = _("custom field values")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field"], name="cf_value_once"
            )
        ]
        indexes = [
            models.Index(fields=["field", "value_text", "object_id"], name="cf_value_text"),
            models.Index(fields=["field", "value_number", "object_id"], name="cf_value_number"),
            models.Index(fields=["field", "value_date", "object_id"], name="cf_value_date"),
            models.Index(fields=["field", "value_ref", "object_id"], name="cf_value_ref"),
            models.Index(fields=["field", "value_bool", "object_id"], name="cf_value_bool"),
        ]

    def __str__(self):
        return f"{self.field_id}={self.display}"
