"""Reads of the portal's own pages. Every record type comes from the registry
(servicedesk/registry.py): the portal imports no record app."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from servicedesk import registry
from servicedesk.portal import requester_records, unfinished_statuses
from servicedesk.registry import PortalLink, PortalPages, PortalPanel, RecordType

SERVICE_DESK_GROUP = "Service Desk"

# The portal's own navigation entries, around those the record types declare (order 10-50).
_HOME = PortalLink(_("Home"), "portal:home", current=("home",), order=0)
_APPROVALS = PortalLink(_("Approvals"), "portal:approvals", current=("approvals",), order=90)


def service_desk_contact() -> SupportGroup | None:
    """The first-line group end users reach (the single point of contact), if it exists."""
    return SupportGroup.objects.filter(name=SERVICE_DESK_GROUP, is_active=True).first()


def _portal_pages() -> list[tuple[RecordType, PortalPages]]:
    return [(t, t.portal) for t in registry.portal_types() if t.portal is not None]


def _my_rows(*, user, record_type, open_only: bool) -> QuerySet:
    rows = requester_records(user=user, record_type=record_type)
    if open_only:
        rows = rows.filter(status__in=unfinished_statuses(record_type))
    return rows


def my_records(*, user, open_only: bool = False, limit: int = 200) -> list:
    """The person's own records of every type the portal shows, newest first: one indexed query
    per type (its `visible_to` selector and requester), each row carrying its `record_type`."""
    rows: list[Any] = []
    for record_type in registry.portal_types():
        for row in _my_rows(user=user, record_type=record_type, open_only=open_only)[:limit]:
            row.record_type = record_type
            rows.append(row)
    return sorted(rows, key=lambda r: (r.created_at, r.pk), reverse=True)[:limit]


# What apps above the portal add in their ready() (the status pages): entries of its
# navigation, and blocks of its own pages ("home", "search") beside the record types' ones.
MENU_LINKS: list[PortalLink] = []
PAGE_PANELS: dict[str, list[PortalPanel]] = {"home": [], "search": []}


def portal_menu(*, current: str | None = None) -> list[dict]:
    """The portal's navigation: its own entries and those every record type declares, in order;
    the one whose pages include `current` (a URL name in the portal's namespace) is marked."""
    record_pages = {"record"}
    links = [_HOME, _APPROVALS, *MENU_LINKS]
    for record_type, pages in _portal_pages():
        links += pages.menu
        record_pages.add(record_type.portal_page.split(":")[-1])
    links.append(
        PortalLink(_("My requests and incidents"), "portal:records", ("records", *record_pages), 80)
    )
    return [
        {"label": link.label, "url_name": link.url_name, "current": current in link.current}
        for link in sorted(links, key=lambda link: link.order)
    ]


def portal_actions() -> list:
    """The buttons record types put on the portal's home page, in order."""
    links = [link for _type, pages in _portal_pages() for link in pages.actions]
    return sorted(links, key=lambda link: link.order)


def portal_panels(request, page: str, **context) -> list[dict]:
    """[{template, context}] of the blocks record types add to one of the portal's pages
    ("home", "search"), in order; `context` is passed to each block's context function."""
    panels = [panel for _type, pages in _portal_pages() for panel in getattr(pages, page)]
    panels += PAGE_PANELS.get(page, [])
    return [
        {"template": panel.template, "context": panel.render_context(request, **context)}
        for panel in sorted(panels, key=lambda panel: panel.order)
    ]
