"""The portal's layout reads the registry: the navigation entries every record type declares,
and the blocks record types add to the portal's own pages."""

from django import template
from django.template.loader import render_to_string

from portal.selectors import portal_menu

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_navigation(context) -> list[dict]:
    """[{label, url_name, current}] of the portal's navigation, for the page being shown."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return portal_menu(current=match.url_name if match is not None else None)


@register.simple_tag(takes_context=True)
def render_panel(context, panel: dict) -> str:
    """One record type's block (`portal.selectors.portal_panels`), in its own template."""
    return render_to_string(panel["template"], panel["context"], request=context.get("request"))
