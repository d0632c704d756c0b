"""Service requests and fulfilment tasks as record types (see servicedesk/registry.py)."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from servicedesk.registry import (
    ApprovalHooks,
    DashboardSource,
    PortalLink,
    PortalPages,
    PortalPanel,
    RecordType,
    register,
)

REQUEST_PERMISSIONS = {
    Role.AGENT: (
        "catalogue.view_service",
        "catalogue.view_servicerequest",
        "catalogue.work_request",
    ),
    # The catalogue an administrator keeps: services, offerings, items, their forms and tasks.
    Role.ADMINISTRATOR: tuple(
        f"catalogue.{action}_{model}"
        for action in ("view", "add", "change", "delete")
        for model in ("service", "serviceoffering", "requestitem", "requestfield", "tasktemplate")
    ),
}

REQUEST = RecordType(
    key="request",
    model="catalogue.ServiceRequest",
    label=_("Service requests"),
    name=_("Service request"),
    visible_to="catalogue.selectors.requests_visible_to",
    detail_url_name="catalogue:request",
    export_columns=(
        (_("Number"), "number"),
        (_("Title"), "title"),
        (_("Status"), "status"),
        (_("Priority"), "priority"),
        (_("Item"), "item__name"),
        (_("Service"), "service__name"),
        (_("Requester"), "requester__email"),
        (_("Organisation"), "organisation__name"),
        (_("Support group"), "support_group__name"),
        (_("Assignee"), "assignee__email"),
        (_("Created"), "created_at"),
        (_("Approved"), "approved_at"),
        (_("Closed"), "closed_at"),
    ),  # fmt: skip
    export_filter="catalogue.filters.RequestFilter",
    portal=PortalPages(
        urls="catalogue.portal.urls",
        menu=(
            PortalLink(
                _("Order something"),
                "portal:catalogue",
                current=("catalogue", "service", "order"),
                order=10,
            ),
        ),
        actions=(PortalLink(_("Order something"), "portal:catalogue", order=20),),
        home=(
            PortalPanel(
                "catalogue/portal/_home_popular.html",
                context="catalogue.portal.views.popular_panel",
                order=10,
            ),
            PortalPanel(
                "catalogue/portal/_home_requests.html",
                context="catalogue.portal.views.recent_panel",
                order=20,
            ),
        ),
        search=(
            PortalPanel(
                "catalogue/portal/_search.html", context="catalogue.portal.views.search_panel"
            ),
        ),
    ),
    portal_url_name="portal:request",
    sla_metrics=("first_response", "resolution"),
    view_permission="catalogue.view_servicerequest",
    work_permission="catalogue.work_request",
    email="catalogue.emails.render_request_email",
    dashboard=DashboardSource(
        changed=("updated_at", "first_responded_at"),
        optional={"resolved_at": "closed_at"},  # a request is fulfilled when it closes
    ),
    permissions=REQUEST_PERMISSIONS,
    approvals=ApprovalHooks(
        decided="catalogue.services.request_approval_decided",
        service_field="service",
        summary_template="catalogue/_approval_summary.html",
        email_summary_template="catalogue/email/_approval_summary.txt",
    ),
    on_agent_reply="catalogue.services.after_agent_reply",
    channel_create="catalogue.records.channel_create",
)

TASK = RecordType(
    key="task",
    model="catalogue.FulfilmentTask",
    label=_("Fulfilment tasks"),
    name=_("Fulfilment task"),
    visible_to="catalogue.selectors.tasks_visible_to",
    detail_url_name="catalogue:task",
    export_columns=(
        (_("Number"), "number"),
        (_("Title"), "title"),
        (_("Status"), "status"),
        (_("Record"), "parent_number"),
        (_("Order"), "order"),
        (_("Requester"), "requester__email"),
        (_("Support group"), "support_group__name"),
        (_("Assignee"), "assignee__email"),
        (_("Due"), "due_at"),
        (_("Created"), "created_at"),
        (_("Done"), "completed_at"),
    ),  # fmt: skip
    export_filter="catalogue.filters.TaskFilter",
    export_queue="catalogue.selectors.task_queue",
    queue_sizes="catalogue.selectors.task_queue_sizes",
    view_permission="catalogue.view_fulfilmenttask",
    work_permission="catalogue.work_request",
    email="catalogue.emails.render_task_email",
    permissions={Role.AGENT: ("catalogue.view_fulfilmenttask",)},
)


def channel_create(*, actor, requester, title: str, description: str, channel: str, defaults):
    """A service request a channel opens for `requester` (the registry's `channel_create`):
    an order of the channel's request item (`defaults["item"]`), with no form answers, the
    message as its description; approvals and fulfilment as for any order. A missing item, or
    one the requester may not order, is a field error."""
    from django.core.exceptions import ValidationError

    from catalogue.services import request_create

    item = defaults.get("item")
    if item is None:
        raise ValidationError({"item": [_("Choose the request item new mail orders.")]})
    return request_create(
        actor=actor, item=item, answers={}, requester=requester, title=title,
        description=description,
    )  # fmt: skip


def register_catalogue() -> None:
    register(REQUEST)
    register(TASK)
