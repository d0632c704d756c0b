"""Blocks that apps above the kernel add to pages they do not own (a record page, a dashboard),
so the page's app imports none of them.

An app registers a panel for a named slot in its AppConfig.ready():

    register_panel("record_page", template="prediction/_record_panel.html",
                   context="prediction.selectors.record_panel_context")

and the page's template renders the slot: `{% load panels %}{% panels "record_page" record=x %}`.
`context` is the dotted path of `f(request, **page) -> dict | None`; None (or an empty dict)
leaves the panel out, so a panel decides for itself whom it shows to and when.

Slots in use: `record_page` (every record type's agent page: incident, request, task, problem, change; `record=`), `comment_box` (inside the form of a record page's reply and work-note box, before its button; `record=`), `portal_record` (the requester's own record page in the portal, generic or the type's own; `record=`), `sla_dashboard` (the managers'
service-level dashboard), `dashboard_tabs` (links among the managers' dashboards' tabs; `tab=`, the current one), `workspace_links` (entries beside the workspace's queues).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Panel:
    template: str
    context: str
    order: int = 100

    def context_for(self, request, **page) -> dict | None:
        function: Callable[..., dict | None] = import_string(self.context)
        return function(request, **page)


PANELS: dict[str, list[Panel]] = {}


def register_panel(slot: str, *, template: str, context: str, order: int = 100) -> None:
    """Add a panel to a slot (once: registering the same template again replaces it)."""
    panels = [p for p in PANELS.get(slot, []) if p.template != template]
    panels.append(Panel(template=template, context=context, order=order))
    PANELS[slot] = sorted(panels, key=lambda p: p.order)


def panels_for(slot: str) -> list[Panel]:
    return PANELS.get(slot, [])
