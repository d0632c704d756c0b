"""Changes and the records around them through the kernel's links: an incident on a CI is
offered the changes implemented on it lately ("caused by"), and a change links to whatever
it fixes whatever its type."""

import pytest
from django.db import transaction
from django.test import Client

from changes import services
from changes.choices import ChangeStatus as S
from incidents.services import incident_create
from servicedesk.models import LinkKind, RecordLink
from servicedesk.selectors import cause_candidates, record_links
from tests.changes.factories import PLANS, people, raise_change, window
from tests.cmdb.factories import make_ci
from tests.factories import SupportGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return SupportGroupFactory(name="Service desk")


def implemented(owner, ci, **fields):
    change = raise_change(owner, change_type="emergency", configuration_items=[ci], **PLANS,
                          **window(), **fields)  # fmt: skip
    change.authorised_at = change.created_at
    change.status = S.AUTHORISED
    change.save(update_fields=["authorised_at", "status"])
    for target in (S.SCHEDULED, S.IMPLEMENTING):
        services.change_transition(change_id=change.pk, actor=owner, target=target)
    return change


def test_an_incident_on_the_ci_is_offered_the_change_implemented_on_it(agent, desk):
    manager, owner, _cab = people()
    server, other = make_ci("db-server-01"), make_ci("web-01")
    change = implemented(owner, server, title="Upgrade PostgreSQL")
    implemented(owner, other, title="Elsewhere")
    raise_change(owner, title="Not implemented yet", configuration_items=[server])
    with transaction.atomic():
        incident = incident_create(
            actor=agent, title="Payroll is slow", requester=agent, impact="medium",
            urgency="medium", configuration_item=server, support_group=desk,
        )  # fmt: skip
    assert cause_candidates(record=incident, user=agent) == [change]

    client = Client()
    client.force_login(agent)
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "Upgrade PostgreSQL" in page and "Elsewhere" not in page
    client.post(
        f"/records/{incident.number}/links/", {"kind": LinkKind.CAUSED_BY, "number": change.number}
    )
    link = RecordLink.objects.get()
    assert (link.kind, link.target_id) == (LinkKind.CAUSED_BY, change.pk)
    assert [e.label for e in record_links(record=change, user=agent)] == ["causes"]
    assert cause_candidates(record=incident, user=agent) == []  # linked already


def test_an_end_user_is_offered_no_change(agent, end_user, desk):
    manager, owner, _cab = people()
    server = make_ci("db-server-01")
    implemented(owner, server)
    with transaction.atomic():
        incident = incident_create(
            actor=agent, requester=end_user, title="Slow", impact="low", urgency="low",
            configuration_item=server, support_group=desk,
        )  # fmt: skip
    assert cause_candidates(record=incident, user=end_user) == []


def test_a_change_fixes_another_record_whatever_its_type(agent, desk):
    manager, owner, _cab = people()
    with transaction.atomic():
        incident = incident_create(actor=agent, title="Recurring timeouts", requester=agent,
                                   impact="low", urgency="low", support_group=desk)  # fmt: skip
    change = raise_change(owner)
    client = Client()
    client.force_login(owner)
    client.post(f"/records/{change.number}/links/", {"kind": "fixes", "number": incident.number})
    assert [e.label for e in record_links(record=change, user=owner)] == ["fixes"]
    assert [e.label for e in record_links(record=incident, user=owner)] == ["fixed by"]
