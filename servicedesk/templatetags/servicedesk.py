from django import template
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist

register = template.Library()


@register.filter
def audit_field_label(event) -> str:
    """The translated label of the field an audit event changed (its raw name as a fallback)."""
    model = ContentType.objects.get_for_id(event.content_type_id).model_class()
    try:
        return str(model._meta.get_field(event.field).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return event.field
