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


def record_panel_context(request, *, record, **page) -> dict | None:
    """The record page's "Checklists" card (page slot `record_page`): its checklists, and the
    templates of its type an agent may still add. Staff who work the type only; left out when
    the record has no checklist and its type no template."""
    record_type = registry.for_model(type(record))
    if record_type is None or not record_type.work_permission:
        return None
    if not request.user.has_perm(record_type.work_permission):
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
        "checklists": checklists,
        "checklist_templates": [] if final else offered,
        "checklists_final": final,
    }
