"""Personal data: the export of one person, anonymising a person who leaves, and retention."""

import json
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import AccessToken, SecurityEvent, User
from accounts.roles import Role
from privacy import services
from privacy.tasks import anonymise_expired_requesters_task
from servicedesk.actors import system_actor
from servicedesk.models import AuditEvent, Comment
from servicedesk.services import record_create
from tests.factories import PASSWORD
from tests.kernel.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, is_staff=True, full_name="Ada Admin")


@pytest.fixture
def person(make_user):
    return make_user(
        Role.END_USER,
        full_name="Leila Leaver",
        email="leila@example.com",
        phone="+98 21 5555 0101",
        job_title="Buyer",
    )


def ticket(requester, title="Printer jams", status="new", closed_days_ago=None):
    with transaction.atomic():
        record = record_create(
            model=Ticket, actor=requester, fields={"title": title, "requester": requester}
        )
    if status != "new":
        Ticket.objects.filter(pk=record.pk).update(status=status)
    if closed_days_ago is not None:
        Ticket.objects.filter(pk=record.pk).update(
            updated_at=timezone.now() - timedelta(days=closed_days_ago)
        )
    record.refresh_from_db()
    return record


def comment(record, author, body):
    return Comment.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        author=author,
        body=body,
    )


# --- Export ---------------------------------------------------------------------------------------


def test_the_export_holds_the_person_their_records_and_their_comments(person, admin, agent):
    mine = ticket(person, "Printer jams")
    comment(mine, person, "It jams on page two.")
    comment(mine, agent, "Replaced the roller.")  # someone else's words: not theirs
    ticket(agent, "Someone else's ticket")
    tokens.token_create(user=person, actor=person, name="Phone app", scope="read", expires_at=None)

    data = services.person_export(person=person, actor=admin)

    json.dumps(data)  # plain JSON
    assert data["person"]["email"] == "leila@example.com"
    assert data["person"]["phone"] == "+98 21 5555 0101"
    assert data["person"]["roles"] == ["end_user"]
    assert [(r["type"], r["number"], r["title"]) for r in data["records"]] == [
        ("ticket", mine.number, "Printer jams")
    ]
    assert [(c["record"], c["body"]) for c in data["comments"]] == [
        (mine.number, "It jams on page two.")
    ]
    assert data["access_tokens"][0]["name"] == "Phone app"
    assert "key_hash" not in json.dumps(data["access_tokens"])
    exported = SecurityEvent.objects.get(kind="data_exported")
    assert exported.user == person and exported.actor == admin


def test_the_admin_action_downloads_the_json(client, admin, person):
    ticket(person)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/", {"action": "export_personal_data", "_selected_action": [person.pk]}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["person"]["full_name"] == "Leila Leaver"


# --- Anonymise -----------------------------------------------------------------------------------


def test_anonymising_replaces_name_email_and_phone_and_keeps_the_records(person, admin, client):
    mine = ticket(person)
    comment(mine, person, "It jams on page two.")
    _token, secret = tokens.token_create(
        user=person, actor=person, name="App", scope="write", expires_at=None
    )
    client.post("/accounts/login/", {"username": person.email, "password": PASSWORD})
    assert client.get("/portal/").status_code == 200
    AuditEvent.objects.create(
        content_type=ContentType.objects.get_for_model(mine),
        object_id=mine.pk,
        actor=admin,
        kind="field_changed",
        field="requester",
        new_text="Leila Leaver",
    )

    services.person_anonymise(person=person, actor=admin)

    person.refresh_from_db()
    assert person.full_name == f"Former user {person.pk}"
    assert person.email == f"person-{person.pk}@anonymised.invalid"
    assert (person.phone, person.job_title, person.is_active) == ("", "", False)
    assert not person.has_usable_password()
    assert Ticket.objects.get(pk=mine.pk).requester == person  # the record stays
    assert Comment.objects.filter(author=person).count() == 1
    assert not AuditEvent.objects.filter(new_text="Leila Leaver").exists()
    assert not SecurityEvent.objects.filter(email__iexact="leila@example.com").exists()
    assert not AccessToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    assert client.get("/portal/").status_code == 302  # the session is gone
    done = SecurityEvent.objects.get(kind="anonymised")
    assert done.user == person and done.actor == admin


def test_the_system_actor_and_oneself_cannot_be_anonymised(admin):
    with pytest.raises(services.CannotAnonymise):
        services.person_anonymise(person=system_actor(), actor=admin)
    with pytest.raises(services.CannotAnonymise):
        services.person_anonymise(person=admin, actor=admin)
    admin.refresh_from_db()
    assert admin.full_name == "Ada Admin"


def test_the_admin_action_asks_first_then_anonymises(client, admin, person):
    client.force_login(admin)
    selected = {"action": "anonymise", "_selected_action": [person.pk]}

    asked = client.post("/admin/accounts/user/", selected)
    assert asked.status_code == 200 and "Yes, anonymise" in asked.content.decode()
    assert User.objects.get(pk=person.pk).full_name == "Leila Leaver"

    done = client.post("/admin/accounts/user/", {**selected, "confirm": "yes"}, follow=True)
    assert "1 person anonymised." in done.content.decode()
    assert User.objects.get(pk=person.pk).email.endswith("@anonymised.invalid")


# --- Retention -----------------------------------------------------------------------------------


def test_retention_anonymises_only_closed_records_older_than_the_setting(person, settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 6
    old_closed = ticket(person, "old and closed", status="closed", closed_days_ago=200)
    comment(old_closed, person, "Thanks!")
    recent_closed = ticket(person, "recently closed", status="closed", closed_days_ago=100)
    old_open = ticket(person, "old but open", status="in_progress", closed_days_ago=400)
    old_resolved = ticket(person, "resolved, not closed", status="resolved", closed_days_ago=400)

    changed = anonymise_expired_requesters_task()

    placeholder = services.placeholder_requester()
    assert changed == 1
    assert Ticket.objects.get(pk=old_closed.pk).requester == placeholder
    for record in (recent_closed, old_open, old_resolved):
        assert Ticket.objects.get(pk=record.pk).requester == person, record.title
    assert Comment.objects.get(object_id=old_closed.pk).author == placeholder
    assert Ticket.objects.get(pk=old_closed.pk).version == old_closed.version + 1
    audit = AuditEvent.objects.get(object_id=old_closed.pk, field="requester")
    assert audit.actor == system_actor() and not audit.public and audit.old_text == ""
    person.refresh_from_db()
    assert person.full_name == "Leila Leaver"  # the person's account is untouched
    assert anonymise_expired_requesters_task() == 0  # a second run has nothing left


def test_retention_is_off_by_default(person, settings):
    assert settings.PERSONAL_DATA_RETENTION_MONTHS == 0
    record = ticket(person, status="closed", closed_days_ago=3000)

    assert anonymise_expired_requesters_task() == 0
    assert Ticket.objects.get(pk=record.pk).requester == person


def test_the_retention_task_is_on_the_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["anonymise-expired-requesters"]
    assert entry["task"] == "privacy.tasks.anonymise_expired_requesters_task"


# --- One's own data (My account, "Your data") ----------------------------------------------------


def test_a_person_downloads_their_own_data_and_nobody_elses(client, person, make_user):
    mine = ticket(person, title="My monitor flickers")
    other = make_user(Role.END_USER, email="other@example.com")
    ticket(other, title="Someone else's laptop")
    client.force_login(person)

    page = client.get("/privacy/my-data/")
    assert page.status_code == 200 and "Download my data" in page.content.decode()
    response = client.post("/privacy/my-data/")

    assert response["Content-Disposition"] == 'attachment; filename="my-service-desk-data.json"'
    data = json.loads(response.content)
    assert data["person"]["email"] == "leila@example.com"
    assert [r["number"] for r in data["records"]] == [mine.number]
    assert "Someone else" not in response.content.decode()
    event = SecurityEvent.objects.get(kind="data_exported")
    assert event.user == person


def test_ones_data_needs_a_sign_in(client):
    response = client.post("/privacy/my-data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not SecurityEvent.objects.filter(kind="data_exported").exists()
