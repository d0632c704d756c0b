"""The change pages: who may open them, raising, the risk form, the review, the CAB agenda."""

import pytest
from django.test import Client

from changes import services
from changes.choices import ChangeStatus as S
from changes.models import Change, StandardChangeTemplate
from servicedesk.models import ApprovalSet
from tests.changes.factories import PLANS, people, questionnaire, raise_change, window
from tests.cmdb.factories import make_ci, relate

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return people()


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_end_users_get_404_on_every_change_page(team, end_user):
    manager, owner, _cab = team
    change = raise_change(owner)
    client = browser_for(end_user)
    assert client.get("/changes/").status_code == 403
    for path in ("", "edit/"):
        assert client.get(f"/changes/{change.number}/{path}").status_code in (403, 404)
    cancel = client.post(f"/changes/{change.number}/action/", {"action": "cancelled"})
    assert cancel.status_code in (403, 404)
    change.refresh_from_db()
    assert change.status == S.REQUESTED


def test_raise_a_change_on_a_server_and_see_what_it_reaches(team):
    manager, owner, _cab = team
    server = make_ci("db-server-01")
    service = make_ci("Payroll", "business_service")
    relate(service, server)
    client = browser_for(owner)
    answer = client.post(
        "/changes/new/",
        {"title": "Upgrade the database server", "change_type": "normal",
         "configuration_item": server.pk, **PLANS},
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    change = Change.objects.get()
    assert list(change.configuration_items.all()) == [server]
    page = client.get(f"/changes/{change.number}/").content.decode()
    assert "db-server-01" in page and "Payroll" in page


def test_a_bad_window_is_shown_on_the_form_and_nothing_is_saved(team):
    manager, owner, _cab = team
    w = window()
    answer = browser_for(owner).post(
        "/changes/new/",
        {"title": "Backwards", "change_type": "normal",
         "planned_start": w["planned_end"].strftime("%Y-%m-%dT%H:%M"),
         "planned_end": w["planned_start"].strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "after the start" in answer.content.decode()
    assert not Change.objects.exists()


def test_the_risk_form_then_submitting_asks_the_cab(team):
    manager, owner, cab = team
    answers = questionnaire()["high"]
    change = raise_change(owner, **PLANS)
    client = browser_for(owner)
    form = {f"q{q}": a for q, a in answers.items()} | {"version": change.version}
    assert client.post(f"/changes/{change.number}/risk/", form).status_code == 302
    page = client.get(f"/changes/{change.number}/").content.decode()
    assert "High risk" in page and "Change advisory board" in page
    change.refresh_from_db()
    client.post(
        f"/changes/{change.number}/action/", {"action": "assessed", "version": change.version}
    )
    assert ApprovalSet.objects.get(object_id=change.pk).approvals.count() == 3


def test_an_unanswered_questionnaire_is_a_400_with_the_question_marked(team):
    manager, owner, _cab = team
    questionnaire()
    change = raise_change(owner, **PLANS)
    answer = browser_for(owner).post(f"/changes/{change.number}/risk/", {})
    assert answer.status_code == 400
    assert "field-invalid" in answer.content.decode()


def test_a_refused_move_is_shown_and_changes_nothing(team):
    manager, owner, _cab = team
    change = raise_change(owner)
    client = browser_for(owner)
    answer = client.post(
        f"/changes/{change.number}/action/",
        {"action": "assessed", "version": change.version},
        follow=True,
    )
    assert "back-out plan" in answer.content.decode()
    change.refresh_from_db()
    assert change.status == S.REQUESTED


def test_a_standard_change_from_the_template_page(team):
    manager, owner, _cab = team
    template = StandardChangeTemplate.objects.create(name="Rotate the logs", **PLANS)
    client = browser_for(owner)
    assert "Rotate the logs" in client.get("/changes/new/standard/").content.decode()
    start = window()["planned_start"].strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        "/changes/new/standard/", {"template": template.pk, "planned_start": start}
    )
    assert answer.status_code == 302
    assert Change.objects.get().change_type == "standard"


def test_the_cab_agenda_lists_what_waits_and_what_comes(team):
    manager, owner, cab = team
    waiting = raise_change(owner, title="Waiting for the CAB", change_type="emergency", **PLANS)
    later = raise_change(owner, title="Not submitted", **PLANS)
    services.change_transition(change_id=waiting.pk, actor=owner, target=S.ASSESSED)
    page = browser_for(cab[0]).get("/changes/cab/").content.decode()
    assert "Waiting for the CAB" in page and later.title not in page
    assert "Cab Member 1: Waiting" in page
    assert "print.css" in page
