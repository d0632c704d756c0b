"""`agreements_read_once`: a batch that opens many records reads the matching agreement, its
targets and the escalation rules once; outside the block every call reads the database."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla import services
from sla.models import SlaPolicy
from tests.incidents.factories import incident_in
from tests.sla.factories import policy, timers


def _lookups():
    services.policy_for(record_type="incident", priority=3, service_id=None, organisation_id=None)
    services.policy_targets(SlaPolicy.objects.get(name="Standard"))


def test_inside_the_block_an_agreement_is_read_once_for_the_same_facts(desk):
    with CaptureQueriesContext(connection) as outside:
        _lookups()
        _lookups()
    with services.agreements_read_once(), CaptureQueriesContext(connection) as inside:
        _lookups()
        _lookups()
        other = services.policy_for(
            record_type="request", priority=3, service_id=None, organisation_id=None
        )
    assert len(outside) == 6  # policy, the policy row itself, targets; twice
    assert len(inside) == 5  # the second round reads only the policy row itself
    assert other is None  # other facts are looked up, not taken from the first answer


def test_timers_started_inside_the_block_follow_the_agreement(desk):
    with services.agreements_read_once():
        first = incident_in("new", requester=desk.requester, support_group=desk.group)
        second = incident_in("new", requester=desk.requester, support_group=desk.group)
    for record in (first, second):
        assert {timer.policy_id for timer in timers(record)} == {desk.standard.pk}
        assert len(timers(record)) == 2  # first response and resolution


def test_after_the_block_an_edited_agreement_applies_at_once(desk):
    with services.agreements_read_once():
        incident_in("new", requester=desk.requester, support_group=desk.group)
    urgent = policy("Urgent", calendar=desk.calendar, precedence=1, first_response=10)

    record = incident_in("new", requester=desk.requester, support_group=desk.group)

    assert {timer.policy_id for timer in timers(record)} == {urgent.pk}
