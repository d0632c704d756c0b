"""The demo's checklist templates (`manage.py load_demo`, after the history and the samples, so
only records created from then on get them). Idempotent: found by name, items kept as they are.

Written with the models, as the other demo reference data: templates are reference data an
administrator keeps in the admin, not records with a timeline.
"""

from checklists.models import ChecklistTemplate
from incidents.models import Category

TEMPLATES = [
    # (name, record type, top-level incident category or None, [(item, required)])
    ("Network outage", "incident", "Network", [
        ("Check the monitoring for the affected links", True),
        ("Confirm the scope with a user on site", False),
        ("Tell the affected users when it is back", True),
    ]),
    ("Laptop replacement", "incident", "Hardware", [
        ("Back up the user's data", True),
        ("Wipe and return the old device", False),
    ]),
    ("Change implementation", "change", None, [
        ("Peer-review the implementation plan", True),
        ("Take a backup before starting", True),
        ("Run the smoke tests afterwards", True),
    ]),
]  # fmt: skip


def load() -> None:
    for name, record_type, category_name, items in TEMPLATES:
        category = Category.objects.get(name=category_name, parent=None) if category_name else None
        template, created = ChecklistTemplate.objects.get_or_create(
            name=name, defaults={"record_type": record_type, "category": category}
        )
        if created:
            for order, (title, required) in enumerate(items, start=1):
                template.items.create(title=title, required=required, order=order * 10)
