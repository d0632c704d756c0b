"""Service requests and fulfilment tasks as record types (see servicedesk/registry.py)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.registry import DashboardSource, RecordType, register

REQUEST = RecordType(
    key="request",
    model="catalogue.ServiceRequest",
    label=_("Service requests"),
    name=_("Service request"),
    visible_to="catalogue.selectors.requests_visible_to",
    detail_url_name="catalogue:request",
    portal_url_name="portal:request",
    sla_metrics=("first_response", "resolution"),
    view_permission="catalogue.view_servicerequest",
    work_permission="catalogue.work_request",
    email="catalogue.emails.render_request_email",
    dashboard=DashboardSource(
        changed=("updated_at", "first_responded_at"),
        optional={"resolved_at": "closed_at"},  # a request is fulfilled when it closes
    ),
)

TASK = RecordType(
    key="task",
    model="catalogue.FulfilmentTask",
    label=_("Fulfilment tasks"),
    name=_("Fulfilment task"),
    visible_to="catalogue.selectors.tasks_visible_to",
    detail_url_name="catalogue:task",
    queue_sizes="catalogue.selectors.task_queue_sizes",
    view_permission="catalogue.view_fulfilmenttask",
    work_permission="catalogue.work_request",
    email="catalogue.emails.render_task_email",
)


def register_catalogue() -> None:
    register(REQUEST)
    register(TASK)
