"""`{% panels "slot" key=value %}`: the panels other apps registered for a slot of this page
(servicedesk/page_slots.py), each rendered with its own context."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from servicedesk.page_slots import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot: str, **page) -> SafeString:
    request = context.get("request")
    parts = []
    for panel in panels_for(slot):
        extra = panel.context_for(request, **page)
        if extra:
            parts.append(render_to_string(panel.template, {**extra, **page}, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates, escaped by Django
