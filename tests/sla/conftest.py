"""Fixtures the SLA tests share: a frozen clock and a desk with its 5x9 calendar and policy."""

from types import SimpleNamespace

import pytest
import time_machine

from tests.incidents.factories import AgentFactory, EndUserFactory, SupportGroupFactory
from tests.sla.factories import at, calendar_5x9, policy, switch_off_defaults


@pytest.fixture
def clock():
    """The clock stands still at Monday 3 March 2025, 09:00 UTC, until a test moves it."""
    with time_machine.travel(at(3, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(db, clock):
    """An agent in the Service Desk group, a requester, the 5x9 calendar and one catch-all
    policy: first response 60 minutes, resolution 480 minutes, paused while pending on the
    customer."""
    switch_off_defaults()
    agent = AgentFactory(full_name="Arash Agent", email="arash@example.com")
    calendar = calendar_5x9()
    return SimpleNamespace(
        agent=agent,
        requester=EndUserFactory(full_name="Emma Enduser", email="emma@example.com"),
        group=SupportGroupFactory(name="Service Desk", members=[agent]),
        calendar=calendar,
        standard=policy("Standard", calendar=calendar),
    )
