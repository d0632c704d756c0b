from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from accounts.models import SupportGroup
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident
from servicedesk import registry

SERVICE_DESK_GROUP = "Service Desk"


def service_desk_contact() -> SupportGroup | None:
    """The first-line group end users reach (the single point of contact), if it exists."""
    return SupportGroup.objects.filter(name=SERVICE_DESK_GROUP, is_active=True).first()


def my_incidents(*, user, open_only: bool = False) -> QuerySet[Incident]:
    """The incidents a person asked for, newest first (index inc_requester_idx)."""
    rows = Incident.objects.filter(requester=user)
    if open_only:
        # Open, paused and resolved (still waiting for the requester's confirmation).
        rows = rows.filter(status__in=[*OPEN_STATUSES, "resolved"])
    return rows.select_related("support_group").order_by("-created_at")


def my_incident(*, user, number: str) -> Incident:
    """One of the person's own incidents (DoesNotExist for anyone else's)."""
    return Incident.objects.select_related("support_group", "category").get(
        requester=user, number=number
    )


def my_record(*, user, number: str):
    """(record type, record) of one of the person's own records of any type the portal shows,
    told by the number's prefix (servicedesk.registry). DoesNotExist for anyone else's."""
    record_type = registry.for_number(number)
    if record_type is None or not record_type.portal_url_name:
        raise ObjectDoesNotExist(number)
    return record_type, record_type.model_class.objects.get(requester=user, number=number)


def my_records(*, user, open_only: bool = False, limit: int = 200) -> list:
    """The person's requests and incidents together, newest first (two indexed queries)."""
    from catalogue.selectors import my_requests

    incidents: list[Any] = list(my_incidents(user=user, open_only=open_only)[:limit])
    requests: list[Any] = list(my_requests(user=user, open_only=open_only)[:limit])
    for row in incidents:
        row.kind = "incident"
    for row in requests:
        row.kind = "request"
    return sorted([*incidents, *requests], key=lambda r: r.created_at, reverse=True)[:limit]


def rating_of(record):
    from django.contrib.contenttypes.models import ContentType

    from servicedesk.models import SatisfactionRating

    return SatisfactionRating.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).first()
