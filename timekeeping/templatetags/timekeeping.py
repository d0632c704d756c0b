from django import template

from timekeeping import formatting

register = template.Library()


@register.filter
def duration(minutes) -> str:
    """Minutes as "1 h 30 min" in the reader's language."""
    return formatting.duration(minutes)
