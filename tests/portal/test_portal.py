"""The requester's self-service portal through the Django test client: the start page, reporting
an incident, following it (replies, resolution), replying and reopening; and the agent pages it
may not open."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.choices import IncidentStatus, PendingReason
from incidents.models import Incident, RoutingRule
from servicedesk.models import Attachment, Comment, Visibility
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    EndUserFactory,
    SupportGroupFactory,
    incident,
    transition,
)

S = IncidentStatus
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(db):
    agent = AgentFactory(email="arash@example.com", full_name="Arash Agent")
    requester = EndUserFactory(email="emma@example.com", full_name="Emma Wilson")
    other = EndUserFactory(email="omid@example.com", full_name="Omid Other")
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    return SimpleNamespace(agent=agent, requester=requester, other=other, group=group)


@pytest.fixture
def emma(client, desk):
    """A client signed in as the requester."""
    client.force_login(desk.requester)
    return client


def log(desk, title="Printer on floor 3 is jammed", *, requester=None, **fields):
    """An incident logged by the agent for the requester (or `requester`)."""
    fields.setdefault("impact", "low")
    fields.setdefault("urgency", "medium")
    return incident(
        actor=desk.agent,
        requester=requester or desk.requester,
        support_group=desk.group,
        title=title,
        **fields,
    )


def html(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def reload(record):
    record.refresh_from_db()
    return record


def page_of(record) -> str:
    return f"/portal/incidents/{record.number}/"


# --- the start page and the list ----------------------------------------------------------------


class TestHome:
    def test_lists_the_persons_recent_incidents_only(self, emma, desk):
        mine = log(desk, "My printer")
        theirs = log(desk, "Their laptop", requester=desk.other)

        response = emma.get("/portal/")

        assert response.status_code == 200
        page = html(response)
        assert mine.number in page and "My printer" in page
        assert theirs.number not in page and "Their laptop" not in page
        assert "How can we help, Emma" in page

    def test_shows_the_five_newest(self, emma, desk):
        logged = []
        for day in range(6):
            with time_machine.travel(T0 + timedelta(days=day), tick=False):
                logged.append(log(desk, f"Problem of day {'abcdef'[day]}"))

        page = html(emma.get("/portal/"))

        shown = [record.number for record in logged if record.number in page]
        assert shown == [record.number for record in logged[1:]]
        positions = [page.index(record.number) for record in reversed(logged[1:])]
        assert positions == sorted(positions)  # newest first

    def test_without_incidents(self, emma, desk):
        assert "You have no incidents here." in html(emma.get("/portal/"))

    def test_names_the_service_desk(self, emma, desk):
        desk.group.email = "desk@example.com"
        desk.group.save()
        page = html(emma.get("/portal/"))
        assert "desk@example.com" in page

    def test_anonymous_visitors_sign_in_first(self, client, db):
        response = client.get("/portal/")
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


class TestMyIncidents:
    def test_open_shows_open_and_resolved_but_not_closed(self, emma, desk):
        opened = log(desk, "Still open")
        resolved = log(desk, "Resolved", assignee=desk.agent)
        transition(resolved, desk.agent, S.RESOLVED)
        cancelled = log(desk, "Cancelled")
        transition(cancelled, desk.agent, S.CANCELLED)
        other = log(desk, "Not mine", requester=desk.other)

        open_page = html(emma.get("/portal/incidents/"))
        all_page = html(emma.get("/portal/incidents/", {"show": "all"}))

        assert opened.number in open_page and resolved.number in open_page
        assert cancelled.number not in open_page
        assert cancelled.number in all_page
        assert other.number not in open_page and other.number not in all_page


# --- reporting an incident -----------------------------------------------------------------------


class TestReport:
    URL = "/portal/incidents/new/"

    @pytest.fixture
    def catch_all(self, desk):
        return RoutingRule.objects.create(name="Everything else", support_group=desk.group)

    def test_the_form_offers_plain_words_for_impact_and_urgency(self, emma, desk):
        page = html(emma.get(self.URL))
        assert "Only me" in page and "The whole organisation or many customers" in page
        assert "I cannot work at all" in page
        assert 'type="radio" name="impact" value="low"' in page

    def test_reporting_logs_an_incident_for_the_person(self, emma, desk, catch_all):
        network = CategoryFactory(name="Network")

        response = emma.post(
            self.URL,
            {
                "title": "Wi-Fi keeps dropping",
                "description": "<p>In meeting room B.</p><script>x()</script>",
                "category": network.pk,
                "impact": "medium",
                "urgency": "high",
                # Not on the form: a requester cannot choose these.
                "support_group": SupportGroupFactory(name="VIP").pk,
                "channel": "phone",
            },
            follow=True,
        )

        created = Incident.objects.get()
        assert response.redirect_chain == [(page_of(created), 302)]
        assert messages_of(response) == [
            (
                "success",
                f"Thank you. We have logged {created.number} and will keep you informed by e-mail.",
            )
        ]
        assert created.requester == desk.requester
        assert (created.impact, created.urgency, created.priority) == ("medium", "high", 2)
        assert created.channel == "portal"
        assert created.support_group == desk.group
        assert created.category == network
        assert created.assignee is None and created.status == S.NEW
        assert "<script" not in created.description
        assert "Wi-Fi keeps dropping" in html(response)

    def test_routing_rules_choose_the_group(self, emma, desk, catch_all):
        network_team = SupportGroupFactory(name="Network Team")
        network = CategoryFactory(name="Network")
        RoutingRule.objects.create(
            name="Network", order=1, category=network, support_group=network_team
        )

        emma.post(
            self.URL,
            {"title": "No network", "category": network.pk, "impact": "low", "urgency": "low"},
        )

        assert Incident.objects.get().support_group == network_team

    def test_a_missing_title_is_shown_and_nothing_is_logged(self, emma, desk, catch_all):
        response = emma.post(self.URL, {"title": "", "impact": "low", "urgency": "low"})

        assert response.status_code == 200
        assert response.context["form"].errors["title"] == ["This field is required."]
        page = html(response)
        assert "Please correct the fields marked below." in page
        title_field = page.split('for="id_title"')[1].split('for="id_description"')[0]
        assert "This field is required." in title_field
        assert not Incident.objects.exists()

    def test_an_impact_that_is_not_offered_is_refused(self, emma, desk, catch_all):
        response = emma.post(self.URL, {"title": "Odd", "impact": "enormous", "urgency": "low"})
        assert response.status_code == 200
        assert "impact" in response.context["form"].errors
        assert not Incident.objects.exists()

    def test_when_no_rule_routes_it_the_person_is_told(self, emma, desk):
        response = emma.post(
            self.URL, {"title": "Nobody owns this", "impact": "low", "urgency": "low"}
        )

        assert response.status_code == 200
        assert "No routing rule matches" in html(response)
        assert not Incident.objects.exists()


# --- following an incident -----------------------------------------------------------------------


class TestIncidentPage:
    def test_shows_public_replies_but_not_internal_notes(self, emma, desk):
        record = log(desk, "Printer jammed")
        services.incident_comment(
            incident_id=record.pk, actor=desk.agent, body="Sent a technician to floor 3."
        )
        services.incident_comment(
            incident_id=record.pk, actor=desk.agent, body="Third time this month, order a new one.",
            visibility=Visibility.INTERNAL,
        )  # fmt: skip

        response = emma.get(page_of(record))

        assert response.status_code == 200
        page = html(response)
        assert "<h1>Printer jammed</h1>" in page
        assert "Sent a technician to floor 3." in page
        assert "order a new one" not in page
        assert "Internal note" not in page
        assert "How we solved it" not in page
        assert "with Service Desk" in page

    def test_does_not_show_internal_files(self, emma, desk, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        record = log(desk, "Printer jammed")
        services.incident_comment(
            incident_id=record.pk, actor=desk.agent, body="Vendor quote attached.",
            visibility=Visibility.INTERNAL,
            files=[SimpleUploadedFile("quote.txt", b"EUR 400", content_type="text/plain")],
        )  # fmt: skip
        assert Attachment.objects.count() == 1

        page = html(emma.get(page_of(record)))

        assert "quote.txt" not in page

    def test_shows_the_resolution_once_resolved(self, emma, desk):
        record = log(desk, "Printer jammed", assignee=desk.agent)
        transition(
            record, desk.agent, S.RESOLVED,
            resolution_code="solved_permanently", resolution_notes="<p>Replaced the fuser unit.</p>",
        )  # fmt: skip

        page = html(emma.get(page_of(record)))

        assert "How we solved it" in page
        assert "Solved (permanently)" in page
        assert "<p>Replaced the fuser unit.</p>" in page
        assert "Not solved? Reopen it" in page

    def test_another_persons_incident_is_404(self, emma, desk):
        theirs = log(desk, "Private", requester=desk.other)
        assert emma.get(page_of(theirs)).status_code == 404
        assert emma.post(page_of(theirs), {"body": "Hello?"}).status_code == 404
        assert emma.post(page_of(theirs) + "reopen/").status_code == 404
        assert not Comment.objects.exists()

    def test_an_unknown_number_is_404(self, emma, desk):
        assert emma.get("/portal/incidents/INC9999999/").status_code == 404


class TestReply:
    def test_a_reply_is_a_public_comment(self, emma, desk):
        record = log(desk, "Printer jammed")

        response = emma.post(page_of(record), {"body": "It jammed again just now."}, follow=True)

        comment = Comment.objects.get()
        assert (comment.author, comment.visibility) == (desk.requester, Visibility.PUBLIC)
        assert comment.body == "It jammed again just now."
        assert messages_of(response) == [("success", "Your reply has been sent.")]
        assert response.redirect_chain == [(page_of(record), 302)]
        assert "It jammed again just now." in html(response)

    def test_a_reply_brings_an_incident_waiting_for_the_customer_back_to_work(self, emma, desk):
        record = log(desk, "Printer jammed", assignee=desk.agent)
        transition(record, desk.agent, S.IN_PROGRESS)
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)

        emma.post(page_of(record), {"body": "Here is the error code: E-42."})

        reload(record)
        assert record.status == S.IN_PROGRESS
        assert record.pending_reason == ""

    def test_a_reply_leaves_an_incident_waiting_for_a_supplier_on_hold(self, emma, desk):
        record = log(desk, "Printer jammed", assignee=desk.agent)
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.SUPPLIER)

        emma.post(page_of(record), {"body": "Any news?"})

        assert reload(record).status == S.PENDING

    def test_an_empty_reply_is_refused_beside_the_field(self, emma, desk):
        record = log(desk, "Printer jammed")

        response = emma.post(page_of(record), {"body": ""})

        assert response.status_code == 200
        assert response.context["form"].errors["body"] == ["This field is required."]
        assert not Comment.objects.exists()

    def test_a_closed_incident_takes_no_replies(self, emma, desk):
        record = log(desk, "Printer jammed", assignee=desk.agent)
        transition(record, desk.agent, S.RESOLVED)
        transition(record, desk.agent, S.CLOSED)

        page = html(emma.get(page_of(record)))
        assert "Send reply" not in page
        assert "Not solved? Reopen it" not in page

        response = emma.post(page_of(record), {"body": "Still broken"})
        assert response.status_code == 200
        assert (
            "error",
            f"{record.number} is closed; log a new incident instead.",
        ) in messages_of(response)
        assert not Comment.objects.exists()


class TestReopen:
    def resolved(self, desk, **fields):
        with time_machine.travel(T0, tick=False):
            record = log(desk, "Printer jammed", **fields)
            transition(record, desk.agent, S.RESOLVED)
        return reload(record)

    def test_within_the_window_it_goes_back_to_the_assignee(self, client, desk):
        record = self.resolved(desk, assignee=desk.agent)

        with time_machine.travel(T0 + timedelta(days=6), tick=False):
            client.force_login(desk.requester)
            response = client.post(
                page_of(record) + "reopen/", {"reason": "It jams again."}, follow=True
            )

        reload(record)
        assert record.status == S.IN_PROGRESS
        assert record.reopen_count == 1
        assert record.resolution_code == "" and record.resolved_at is None
        assert ("success", f"{record.number} is open again.") in messages_of(response)
        comment = Comment.objects.get()
        assert (comment.body, comment.visibility) == ("It jams again.", Visibility.PUBLIC)

    def test_an_unassigned_incident_goes_back_to_the_queue(self, client, desk):
        record = self.resolved(desk)  # resolved by the group without an assignee

        with time_machine.travel(T0 + timedelta(days=1), tick=False):
            client.force_login(desk.requester)
            client.post(page_of(record) + "reopen/")

        assert reload(record).status == S.NEW

    def test_after_the_window_it_is_refused_and_stays_resolved(self, client, desk, settings):
        settings.INCIDENT_REOPEN_WINDOW_DAYS = 7
        record = self.resolved(desk, assignee=desk.agent)
        version = record.version

        with time_machine.travel(T0 + timedelta(days=8), tick=False):
            client.force_login(desk.requester)
            response = client.post(
                page_of(record) + "reopen/", {"reason": "It jams again."}, follow=True
            )

        reload(record)
        assert (record.status, record.version, record.reopen_count) == (S.RESOLVED, version, 0)
        assert messages_of(response) == [
            (
                "error",
                "This incident was resolved more than 7 days ago and can no longer be "
                "reopened; log a new incident instead.",
            )
        ]
        assert not Comment.objects.exists()  # the refused reopen leaves no reply behind

    def test_an_open_incident_cannot_be_reopened(self, emma, desk):
        record = log(desk, "Printer jammed")
        response = emma.post(page_of(record) + "reopen/", follow=True)
        assert reload(record).status == S.NEW
        [(level, _text)] = messages_of(response)
        assert level == "error"

    def test_reopening_needs_a_post(self, emma, desk):
        record = self.resolved(desk, assignee=desk.agent)
        assert emma.get(page_of(record) + "reopen/").status_code == 405
        assert reload(record).status == S.RESOLVED


# --- the agent pages are not for end users ------------------------------------------------------


class TestAgentPagesAreClosed:
    def test_the_workspace_pages_are_403(self, emma, desk):
        record = log(desk, "Mine")
        for url in (
            "/workspace/",
            "/incidents/",
            "/incidents/new/",
            "/incidents/new/?channel=phone",
            f"/incidents/{record.number}/",
            f"/incidents/{record.number}/edit/",
        ):
            assert emma.get(url).status_code == 403, url

    def test_agent_actions_are_403_and_change_nothing(self, emma, desk):
        record = log(desk, "Mine")
        version = record.version
        for action in ("take", "assign", "status", "comment", "edit"):
            response = emma.post(
                f"/incidents/{record.number}/{action}/",
                {"target": "cancelled", "body": "x", "visibility": "public"},
            )
            assert response.status_code == 403, action
        reload(record)
        assert (record.status, record.version) == (S.NEW, version)
        assert not Comment.objects.exists()
