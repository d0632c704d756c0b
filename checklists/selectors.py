"""Reads on checklists: a record's checklists as its page shows them."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from checklists.models import Checklist, ChecklistItem, ChecklistTemplate
from checklists.services import templates_offered
from servicedesk import registry
from servicedesk.models import BaseRecord


@dataclass
class ChecklistView:
    checklist: Checklist
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.done)


def record_checklists(record: BaseRecord) -> list[ChecklistView]:
    """The record's checklists with their items, in order: one query (items with their list
    and who ticked them)."""
    items = (
        ChecklistItem.objects.filter(
            checklist__content_type=ContentType.objects.get_for_model(record),
            checklist__object_id=record.pk,
        )
        .select_related("checklist", "done_by")
        .order_by("checklist__created_at", "checklist_id", "order", "id")
    )
    views: dict[int, ChecklistView] = {}
    for item in items:
        view = views.setdefault(item.checklist_id, ChecklistView(item.checklist))
        view.items.append(item)
    return list(views.values())


def _works(user, record) -> bool:
    record_type = registry.for_model(type(record))
    return bool(
        record_type is not None
        and record_type.work_permission
        and user.has_perm(record_type.work_permission)
    )


def record_panel_context(request, *, record, **page) -> dict | None:
    """The record page's "Checklists" placeholder (page slot `record_page`), for staff who work
    the record's type: it loads the card after the page (htmx, `record_card_context`), so the
    record page spends no query on it."""
    return {"checklists_deferred": True} if _works(request.user, record) else None


def record_card_context(user, record) -> dict | None:
    """The Checklists card: the record's checklists, and the templates of its type an agent may
    still add; None (no card) when it has no checklist and its type no template. Two queries."""
    if not _works(user, record):
        return None
    checklists = record_checklists(record)
    present = {view.checklist.template_id for view in checklists}
    offered: list[ChecklistTemplate] = [
        t for t in templates_offered(record).only("id", "name") if t.pk not in present
    ]
    if not checklists and not offered:
        return None
    final = type(record).WORKFLOW.is_final(record.status)
    return {
        "record": record,
        "checklists": checklists,
        "checklist_templates": [] if final else offered,
        "checklists_final": final,
    }
