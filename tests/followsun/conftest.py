"""Three follow-the-sun desks round the globe (Tehran, Berlin, New York), a group that is no
desk (Network), one agent per desk working the desk's hours in their own time zone, and an
SLA on the customer's London calendar."""

from datetime import UTC, datetime, time
from types import SimpleNamespace

import pytest
import time_machine

from accounts.models import SupportGroup
from accounts.roles import Role
from followsun import services
from live.models import AssignmentRule, Availability, GroupAssignment
from sla.models import Calendar, WorkingHours
from tests.sla.factories import calendar_5x9, policy, switch_off_defaults

# Tuesday 8 December 2026 (UTC). Tehran is UTC+3:30, Berlin UTC+1, New York UTC-5 then.
MONDAY_23 = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def desk_calendar(name: str, zone: str, start: int, end: int) -> Calendar:
    """Every day of the week, start:00 to end:00 local time."""
    calendar = Calendar.objects.create(name=name, time_zone=zone)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=time(start), end=time(end))
        for day in range(7)
    )
    return calendar


@pytest.fixture
def globe(db, make_user):
    switch_off_defaults()
    customer = calendar_5x9("Customer London", time_zone="Europe/London")
    policy("Follow-the-sun SLA", calendar=customer, first_response=60, resolution=960)
    admin = make_user(Role.ADMINISTRATOR, full_name="Ada Admin", email="ada@example.com")
    desks = {}
    people = {}
    for key, zone, start, end in (
        ("tehran", "Asia/Tehran", 8, 16),
        ("berlin", "Europe/Berlin", 9, 17),
        ("new_york", "America/New_York", 9, 17),
    ):
        group = SupportGroup.objects.create(name=f"Desk {key.replace('_', ' ').title()}")
        person = make_user(
            Role.AGENT, full_name=f"Agent {key}", email=f"{key}@example.com", time_zone=zone
        )
        group.members.add(person)
        Availability.objects.create(
            user=person, present=True, work_days="1234567", starts_at=time(start),
            ends_at=time(end),
        )  # fmt: skip
        GroupAssignment.objects.create(support_group=group, rule=AssignmentRule.ROUND_ROBIN)
        desks[key] = (group, desk_calendar(f"Desk {key}", zone, start, end))
        people[key] = person
    network = SupportGroup.objects.create(name="Network")
    with time_machine.travel(MONDAY_23, tick=False):
        chain = services.chain_create(
            actor=admin, name="Round the globe", record_types=["incident"],
            priorities=[1, 2, 3, 4],
            desks=[desks["tehran"], desks["berlin"], desks["new_york"]],
        )  # fmt: skip
    return SimpleNamespace(
        chain=chain, admin=admin, people=people, network=network,
        groups={key: group for key, (group, _calendar) in desks.items()},
        desks={desk.support_group_id: desk for desk in chain.desks.all()},
    )  # fmt: skip
