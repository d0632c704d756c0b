"""Panels that apps above a record app add to that record type's agent page.

The incident page shows the problem that causes the incident (problems sit above incidents in
the layers, so incidents cannot import them); a record app's page renders whatever panels are
registered for its type with `{% record_panels record %}` (servicedesk template tags), in order.

    add_panel("incident", RecordPanel("problems/_incident_panel.html",
              context="problems.panels.incident_panel", order=10))

`context` is the dotted path of `f(request, record) -> dict | None`: None leaves the panel out.
"""

from dataclasses import dataclass

from servicedesk.registry import resolve


@dataclass(frozen=True)
class RecordPanel:
    template: str
    context: str | None = None
    order: int = 100


_PANELS: dict[str, dict[str, RecordPanel]] = {}


def add_panel(record_key: str, panel: RecordPanel) -> None:
    """Show `panel` on the pages of the record type `record_key` (again: replaced)."""
    _PANELS.setdefault(record_key, {})[panel.template] = panel


def panels_for(record_key: str) -> list[RecordPanel]:
    return sorted(_PANELS.get(record_key, {}).values(), key=lambda panel: panel.order)


def panel_context(panel: RecordPanel, request, record) -> dict | None:
    """The panel's own context, or None when it has nothing to show for this record."""
    return resolve(panel.context)(request, record) if panel.context else {}
