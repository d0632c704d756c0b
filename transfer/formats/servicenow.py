"""A ServiceNow incident export: one row per update of an incident, `?` for no value, dates
as d/m/yyyy HH:MM (the "Incident management process enriched event log" layout)."""

from django.utils.translation import gettext_lazy as _

from transfer.formats.base import Format

RANKS = {f"{n} - {word}": n for n, word in enumerate(
    ("Critical", "High", "Moderate", "Low", "Planning"), start=1)}  # fmt: skip
SCALE = {"1 - High": 1, "2 - Medium": 2, "3 - Low": 3}

SERVICENOW = Format(
    key="servicenow",
    label=_("ServiceNow incident export"),
    source="servicenow",
    columns={
        "number": "number",
        "status": "incident_state",
        "sequence": "sys_mod_count",
        "opened_at": "opened_at",
        "updated_at": "sys_updated_at",
        "resolved_at": "resolved_at",
        "closed_at": "closed_at",
        "impact": "impact",
        "urgency": "urgency",
        "priority": "priority",
        "made_sla": "made_sla",
        "group": "assignment_group",
        "assignee": "assigned_to",
        "category": "category",
        "subcategory": "subcategory",
        "channel": "contact_type",
        "reassignment_count": "reassignment_count",
        "reopen_count": "reopen_count",
        "requester": "caller_id",
        "resolution_code": "closed_code",
        "title": "short_description",
        "description": "description",
        "author": "sys_updated_by",
    },
    required=("number", "status", "sequence", "opened_at"),
    known=(
        "active",
        "sys_created_by",
        "sys_created_at",
        "opened_by",
        "location",
        "u_symptom",
        "cmdb_ci",
        "knowledge",
        "u_priority_confirmation",
        "notify",
        "problem_id",
        "rfc",
        "vendor",
        "caused_by",
        "resolved_by",
    ),  # fmt: skip
    null=("?", ""),
    date_formats=("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"),
    group_by="number",
    order_by="sequence",
    statuses={
        "New": "new",
        "Active": "in_progress",
        "Awaiting User Info": ("pending", "customer"),
        "Awaiting Evidence": ("pending", "customer"),
        "Awaiting Vendor": ("pending", "supplier"),
        "Awaiting Problem": ("pending", "problem"),
        "Resolved": "resolved",
        "Closed": "closed",
    },
    values={
        "impact": SCALE,
        "urgency": SCALE,
        "priority": RANKS,
        "channel": {
            "Phone": "phone",
            "Email": "email",
            "Self service": "portal",
            "Direct opening": "phone",
            "IVR": "phone",
        },  # fmt: skip
    },
)
