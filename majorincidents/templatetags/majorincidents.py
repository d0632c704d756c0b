from django import template

from majorincidents.models import ServiceHealth

register = template.Library()


@register.filter
def health_label(value: str) -> str:
    """A service status's label in the reader's language."""
    try:
        return str(ServiceHealth(value).label)
    except ValueError:
        return value
