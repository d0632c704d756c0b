"""Incidents as a record type: the declaration the kernel's registry keeps (see servicedesk/registry.py)."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from servicedesk.registry import (
    DashboardSource,
    PortalLink,
    PortalPages,
    PortalPanel,
    RecordType,
    register,
)

PERMISSIONS = {
    Role.AGENT: (
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.work_incident",
        "incidents.view_category",
        "incidents.view_prioritylevel",
    ),
    # The reference data an administrator keeps: the priority matrix and scales, categories,
    # routing, resolution codes.
    Role.ADMINISTRATOR: tuple(
        f"incidents.{action}_{model}"
        for action in ("view", "add", "change", "delete")
        for model in (
            "prioritylevel",
            "prioritymatrixcell",
            "category",
            "routingrule",
            "scalelevel",
            "resolutioncodeoption",
        )
    ),
}

# The first columns of the exports of records prioritised by impact and urgency (problems too).
PRIORITISED_EXPORT_COLUMNS = (
    (_("Number"), "number"),
    (_("Title"), "title"),
    (_("Status"), "status"),
    (_("Impact"), "impact"),
    (_("Urgency"), "urgency"),
    (_("Priority"), "priority"),
)

INCIDENT = RecordType(
    key="incident",
    model="incidents.Incident",
    label=_("Incidents"),
    name=_("Incident"),
    visible_to="incidents.selectors.incidents_visible_to",
    detail_url_name="incidents:detail",
    portal=PortalPages(
        urls="incidents.portal.urls",
        menu=(PortalLink(_("Report a problem"), "portal:report", current=("report",), order=20),),
        actions=(
            PortalLink(_("Report a problem"), "portal:report", order=10),
            PortalLink(_("My incidents"), "portal:incidents", order=30),
        ),
        home=(
            PortalPanel(
                "incidents/portal/_home_incidents.html",
                context="incidents.portal.views.home_panel",
                order=30,
            ),
        ),
        search=(
            PortalPanel(
                "incidents/portal/_search.html",
                context="incidents.portal.views.search_panel",
                order=5,
            ),
        ),
    ),
    portal_url_name="portal:incident",
    sla_metrics=("first_response", "resolution", "update", "group_hold"),
    assign="incidents.records.assign",
    raise_priority="incidents.records.raise_priority",
    update="incidents.records.update",
    transition="incidents.records.transition",
    queue_sizes="incidents.selectors.incident_queue_sizes",
    view_permission="incidents.view_incident",
    work_permission="incidents.work_incident",
    email="incidents.emails.render_incident_email",
    dashboard=DashboardSource(changed=("updated_at", "first_responded_at")),
    ci_field="configuration_item",
    permissions=PERMISSIONS,
    export_columns=(
        *PRIORITISED_EXPORT_COLUMNS,
        (_("Requester"), "requester__email"),
        (_("Organisation"), "organisation__name"),
        (_("Support group"), "support_group__name"),
        (_("Assignee"), "assignee__email"),
        (_("Category"), "category__name"),
        (_("Subcategory"), "subcategory__name"),
        (_("Service"), "service__name"),
        (_("Channel"), "channel"),
        (_("Resolution code"), "resolution_code"),
        (_("Created"), "created_at"),
        (_("First response"), "first_responded_at"),
        (_("Resolved"), "resolved_at"),
        (_("Closed"), "closed_at"),
        (_("Reassignments"), "reassignment_count"),
        (_("Reopened"), "reopen_count"),
    ),  # fmt: skip
    export_filter="incidents.filters.IncidentFilter",
    export_queue="incidents.selectors.incident_queue",
    on_assigned="incidents.services.after_assigned",
    on_agent_reply="incidents.services.after_agent_reply",
    on_requester_reply="incidents.services.after_requester_reply",
    channel_create="incidents.records.channel_create",
)


def channel_create(*, actor, requester, title: str, description: str, channel: str, defaults):
    """An incident a channel opens for `requester` (the registry's `channel_create`): its
    impact, urgency and, when given, category, service and support group (else routing's)."""
    from incidents.services import incident_create

    fields = {
        name: defaults[name]
        for name in ("category", "service", "support_group")
        if defaults.get(name) is not None
    }
    return incident_create(
        actor=actor, title=title, description=description, requester=requester,
        impact=defaults["impact"], urgency=defaults["urgency"], channel=channel, **fields,
    )  # fmt: skip


def assign(*, record_id: int, actor, support_group, assignee=None):
    from incidents.services import incident_assign

    return incident_assign(
        incident_id=record_id, actor=actor, support_group=support_group, assignee=assignee
    )


def raise_priority(*, record_id: int, actor):
    from incidents.services import incident_raise_urgency

    return incident_raise_urgency(incident_id=record_id, actor=actor)


def update(*, record_id: int, actor, changes, version=None):
    from incidents.services import incident_update

    return incident_update(incident_id=record_id, actor=actor, changes=changes, version=version)


def transition(*, record_id: int, actor, target: str, version=None, **details):
    from incidents.services import incident_transition

    return incident_transition(
        incident_id=record_id, actor=actor, target=target, version=version, **details
    )


def register_incidents() -> None:
    register(INCIDENT)
