"""Reads on the catalogue and requests: who may see and order what, the queues, the pages."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.roles import can_see_internal
from catalogue.models import (
    OPEN_REQUEST_STATUSES,
    OPEN_TASK_STATUSES,
    FulfilmentTask,
    RequestItem,
    Service,
    ServiceKind,
    ServiceRequest,
    ServiceStatus,
)
from servicedesk.approvals.selectors import approvable_by
from servicedesk.scoping import requester_scope, staff_scope
from sla.selectors import timers_of

WORK_PERMISSION = "catalogue.work_request"


def _audience(through, column, value) -> Q:
    """Empty audience (nobody listed) or the person's value listed."""
    anyone = ~Exists(through.objects.filter(service_id=OuterRef("pk")))
    listed = Exists(through.objects.filter(service_id=OuterRef("pk"), **{column: value}))
    return anyone | listed


def services_visible_to(user) -> QuerySet[Service]:
    """Staff see the whole catalogue; end users the live business services meant for them
    (their organisation, department and roles; an empty audience is everyone)."""
    if not user.is_authenticated:
        return Service.objects.none()
    if can_see_internal(user):
        return Service.objects.all()
    orgs = Service.audience_organisations.through
    depts = Service.audience_departments.through
    roles = Service.audience_roles.through
    role_match = Exists(
        roles.objects.filter(service_id=OuterRef("pk"), group__in=user.groups.all())
    )
    return Service.objects.filter(
        Q(status=ServiceStatus.LIVE, is_active=True, kind=ServiceKind.BUSINESS)
        & _audience(orgs, "organisation_id", user.organisation_id)
        & _audience(depts, "department_id", user.department_id)
        & (~Exists(roles.objects.filter(service_id=OuterRef("pk"))) | role_match)
    )


def orderable_items(user) -> QuerySet[RequestItem]:
    """Active items of the services the person may see (live services only, for everyone)."""
    return RequestItem.objects.filter(
        is_active=True,
        service__in=services_visible_to(user).filter(status=ServiceStatus.LIVE, is_active=True),
    ).select_related("service", "offering")


def catalogue_search(user, text: str = "") -> QuerySet[Service]:
    services = services_visible_to(user).filter(is_active=True)
    text = (text or "").strip()
    if text:
        services = services.filter(
            Q(name__icontains=text)
            | Q(description__icontains=text)
            | Q(items__name__icontains=text, items__is_active=True)
        ).distinct()
    return services.order_by("name")


def popular_services(user, *, limit: int = 6) -> list[Service]:
    """The services most requested (then most incidents logged), among those the person sees."""
    return list(
        catalogue_search(user)
        .annotate(used=Count("requests", distinct=True))
        .order_by("-used", "name")[:limit]
    )


def requests_visible_to(user) -> QuerySet[ServiceRequest]:
    """Staff see every request; an approver sees those waiting for or decided by them; anyone
    else sees the requests they asked for."""
    if not user.is_authenticated:
        return ServiceRequest.objects.none()
    if can_see_internal(user):
        return ServiceRequest.objects.filter(staff_scope(user))
    return ServiceRequest.objects.filter(
        requester_scope(user) | approvable_by(user, ServiceRequest)
    )


def request_detail_get(*, user, rows: QuerySet[ServiceRequest] | None = None, **lookup):
    """One request the person may see (DoesNotExist otherwise), with the parts of it they may see
    as its detail shows them: `visible_tasks` (the fulfilment tasks `tasks_visible_to` lets them
    see: none for an end user or an approver) and `visible_timers` (its SLA clocks: staff only).

    `rows` narrows `requests_visible_to(user)` (e.g. with select_related); `lookup` is `pk=` or
    `number=`. Serializers show these lists as they are and never filter them.
    """
    rows = requests_visible_to(user) if rows is None else rows
    record = rows.prefetch_related(
        Prefetch(
            "tasks",
            queryset=tasks_visible_to(user).select_related(
                "support_group", "assignee", "requester", "request"
            ),
            to_attr="visible_tasks",
        )
    ).get(**lookup)
    # An attribute for the serializer only, which the model's type does not declare.
    record.visible_timers = list(timers_of(record)) if can_see_internal(user) else []  # type: ignore[attr-defined]
    return record


def my_requests(*, user, open_only: bool = False) -> QuerySet[ServiceRequest]:
    rows = ServiceRequest.objects.filter(requester=user)
    if open_only:
        rows = rows.filter(status__in=OPEN_REQUEST_STATUSES)
    return rows.select_related("item").order_by("-created_at")


def tasks_visible_to(user) -> QuerySet[FulfilmentTask]:
    """Staff who work tasks see the tasks of the organisations they serve (a request's task by
    its request's organisation, another record's by the organisation copied from its parent)."""
    if not user.is_authenticated or not user.has_perm(WORK_PERMISSION):
        return FulfilmentTask.objects.none()
    scope = staff_scope(user, organisation_field="request__organisation")
    if scope:
        scope = (Q(request__isnull=False) & scope) | (
            Q(request__isnull=True) & staff_scope(user, organisation_field="organisation")
        )
    return FulfilmentTask.objects.filter(scope)


def _overdue(user) -> dict:
    return {"status__in": OPEN_TASK_STATUSES, "due_at__lt": timezone.now()}


TASK_QUEUES = {
    "mine": lambda user: {"assignee": user, "status__in": OPEN_TASK_STATUSES},
    "groups": lambda user: {
        "support_group__in": user.support_groups.all() | user.led_groups.all(),
        "status__in": OPEN_TASK_STATUSES,
    },
    "overdue": _overdue,
    "open": lambda user: {"status__in": OPEN_TASK_STATUSES},
    "all": lambda user: {},
}
# The overdue queue is read by due time (the `tsk_open_due_idx` index), the others oldest first.
TASK_QUEUE_ORDERING = {"overdue": ("due_at", "id")}

TASK_LIST_COLUMNS = (
    "id", "number", "title", "status", "order", "created_at", "updated_at", "version",
    "due_at", "parent_type_id", "parent_id", "parent_number",
    "support_group__id", "support_group__name", "assignee__id", "assignee__full_name",
    "request__id", "request__number", "request__title", "requester__id", "requester__full_name",
    "support_group", "assignee", "request", "requester",
)  # fmt: skip


def task_queue(*, user, queue: str) -> QuerySet[FulfilmentTask]:
    criteria = TASK_QUEUES.get(queue, TASK_QUEUES["groups"])(user)
    return (
        tasks_visible_to(user)
        .filter(**criteria)
        .select_related("support_group", "assignee", "request", "requester")
        .only(*TASK_LIST_COLUMNS)
    )


def task_queue_ordering(queue: str) -> tuple[str, ...]:
    return TASK_QUEUE_ORDERING.get(queue, ("created_at", "id"))


def record_tasks(*, user, record) -> list[FulfilmentTask]:
    """The tasks of one record that the person may see, in their order (one indexed query)."""
    return list(
        tasks_visible_to(user)
        .filter(parent_type=ContentType.objects.get_for_model(record), parent_id=record.pk)
        .select_related("support_group", "assignee")
        .order_by("order", "id")
    )


def task_queue_sizes(*, user, cap: int = 100) -> list[dict]:
    """The workspace's task cards: each queue counted up to `cap` (one short index scan)."""
    from django.utils.translation import gettext as _

    labels = [("mine", _("My tasks")), ("groups", _("My groups' tasks")), ("overdue", _("Overdue"))]
    sizes = []
    for key, label in labels:
        count = task_queue(user=user, queue=key).values("pk")[: cap + 1].count()
        shown = f"{cap}+" if count > cap else str(count)
        sizes.append({"key": key, "label": label, "shown": shown})
    return sizes
