"""An end user's API answers never carry what is internal to the desk: work notes, internal
files, a request's fulfilment tasks or its SLA clocks. What each caller may see is chosen by the
selectors (record_timeline, requests_visible_to, catalogue.selectors.request_detail_get); the
serializers show what they are given."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue import services as catalogue_services
from incidents import services as incident_services
from servicedesk.models import Visibility
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.incidents.factories import incident

pytestmark = pytest.mark.django_db

SECRETS = ("Vendor owes us", "secret-plan.txt", "internal-only.txt")


def _file(name):
    return SimpleUploadedFile(name, b"plain words", content_type="text/plain")


@pytest.fixture
def world():
    setup = laptop_setup()
    setup.incident = incident(
        actor=setup.agent, requester=setup.requester, support_group=setup.desk, title="VPN down"
    )
    incident_services.incident_comment(
        incident_id=setup.incident.pk, actor=setup.agent, body="We are looking at it"
    )
    incident_services.incident_comment(
        incident_id=setup.incident.pk, actor=setup.agent, body="Vendor owes us a fix",
        visibility=Visibility.INTERNAL, files=[_file("secret-plan.txt")],
    )  # fmt: skip
    incident_services.incident_attach(
        incident_id=setup.incident.pk, actor=setup.agent, file=_file("internal-only.txt"),
        visibility=Visibility.INTERNAL,
    )  # fmt: skip
    setup.request = catalogue_services.request_create(
        actor=setup.requester, item=setup.item, answers=LAPTOP_ANSWERS
    )
    approval = setup.request.approvals.get()
    catalogue_services.approval_decide(
        approval_id=approval.pk, actor=setup.boss, approve=True, comment="", via_link=False
    )
    catalogue_services.request_comment(
        request_id=setup.request.pk, actor=setup.agent, body="Vendor owes us a laptop",
        visibility=Visibility.INTERNAL, files=[_file("secret-plan.txt")],
    )  # fmt: skip
    catalogue_services.request_comment(
        request_id=setup.request.pk, actor=setup.agent, body="Ordered for you"
    )
    return setup


def _urls(world):
    inc, req = world.incident.number, world.request.number
    return [
        f"/api/v1/incidents/{inc}/",
        f"/api/v1/incidents/{inc}/comments/",
        f"/api/v1/incidents/{inc}/attachments/",
        f"/api/v1/incidents/{inc}/timeline/",
        f"/api/v1/requests/{req}/",
        f"/api/v1/requests/{req}/comments/",
        f"/api/v1/requests/{req}/timeline/",
        "/api/v1/requests/",
        "/api/v1/incidents/",
    ]


def test_an_end_user_s_answers_carry_nothing_internal(client, world):
    client.force_login(world.requester)
    for url in _urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text, (url, secret)
        assert '"internal"' not in text, url
    detail = client.get(f"/api/v1/requests/{world.request.number}/").json()
    assert detail["tasks"] == [] and detail["sla_timers"] == []


def test_the_public_part_is_there_for_the_end_user(client, world):
    client.force_login(world.requester)
    incident_text = client.get(f"/api/v1/incidents/{world.incident.number}/timeline/")
    request_text = client.get(f"/api/v1/requests/{world.request.number}/timeline/")
    assert "We are looking at it" in incident_text.content.decode()
    assert "Ordered for you" in request_text.content.decode()


def test_the_agent_gets_the_internal_parts(client, world):
    client.force_login(world.agent)
    everything = " ".join(client.get(url).content.decode() for url in _urls(world))
    for secret in SECRETS:
        assert secret in everything, secret
    detail = client.get(f"/api/v1/requests/{world.request.number}/").json()
    assert {task["number"] for task in detail["tasks"]} == set(
        world.request.tasks.values_list("number", flat=True)
    )
    assert detail["tasks"] and detail["sla_timers"] is not None


def test_an_approver_sees_the_request_but_not_its_tasks_or_clocks(client, world):
    """The manager who approved it may read the request, not the desk's work on it."""
    client.force_login(world.boss)
    response = client.get(f"/api/v1/requests/{world.request.number}/")
    assert response.status_code == 200
    detail = response.json()
    assert detail["tasks"] == [] and detail["sla_timers"] == []
    assert (
        "Vendor owes us"
        not in client.get(f"/api/v1/requests/{world.request.number}/timeline/").content.decode()
    )
