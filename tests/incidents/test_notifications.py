"""Who hears about what happens to an incident, in their own language, and only after commit.

Tests run inside a transaction that never commits, so `transaction.on_commit` callbacks (the
e-mail tasks) only run through pytest-django's `django_capture_on_commit_callbacks(execute=True)`.
Celery is eager in tests: a queued task sends its e-mail into `mail.outbox` at once.
"""

import logging
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string as real_render_to_string
from django.utils import translation

from incidents import services
from incidents.choices import IncidentStatus, PendingReason, ResolutionCode
from incidents.models import Incident
from incidents.priority import forget_priority_data
from servicedesk.models import Notification, Visibility
from servicedesk.notifications import deliver_pending
from servicedesk.tasks import deliver_notifications_task
from tests.incidents.factories import (
    AgentFactory,
    EndUserFactory,
    RoutingRuleFactory,
    SupportGroupFactory,
    incident,
    incident_in,
    transition,
)

S = IncidentStatus
LOGGED_SUBJECT = "[%(number)s] We have logged your incident: %(title)s"


@pytest.fixture(autouse=True)
def fresh_priority_cache():
    forget_priority_data()


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit():` runs what the services queued for after the commit."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


@pytest.fixture
def agent(db):
    return AgentFactory(full_name="Arash Agent", email="arash@example.com")


@pytest.fixture
def group(agent):
    return SupportGroupFactory(name="Service Desk", members=[agent])


@pytest.fixture
def requester(db):
    return EndUserFactory(full_name="Emma Enduser", email="emma@example.com")


def settle():
    """Send what earlier steps left in the outbox, then forget it: the test looks at what
    comes next."""
    deliver_pending()
    mail.outbox.clear()


def sent_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def only_mail_to(address):
    messages = sent_to(address)
    assert len(messages) == 1, [(m.to, m.subject) for m in mail.outbox]
    return messages[0]


def persian_is_translated(msgid: str) -> bool:
    with translation.override("fa"):
        return translation.gettext(msgid) != msgid


@pytest.mark.django_db
class TestRequesterHears:
    def test_on_creation(self, after_commit, agent, group, requester):
        with after_commit():
            created = incident(
                actor=agent, support_group=group, requester=requester, title="Printer jammed"
            )
        message = only_mail_to(requester.email)
        assert message.subject == f"[{created.number}] We have logged your incident: Printer jammed"
        assert created.number in message.body
        assert "Hello Emma" in message.body

    def test_when_they_log_it_themselves(self, after_commit, requester):
        RoutingRuleFactory(order=1000)  # a catch-all: end users do not choose a group
        with after_commit():
            created = incident(actor=requester, title="Cannot print")
        assert created.number in only_mail_to(requester.email).subject

    def test_on_a_public_agent_reply_with_its_text(self, after_commit, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        settle()
        with after_commit():
            services.incident_comment(
                incident_id=subject.pk, actor=agent, body="<p>Please restart &amp; retry.</p>"
            )
        message = only_mail_to(requester.email)
        assert message.subject.startswith(f"[{subject.number}] New reply:")
        assert "Please restart & retry." in message.body
        assert "<p>" not in message.body

    def test_plain_text_e_mails_are_not_html_escaped(self, after_commit, agent, group):
        dara = EndUserFactory(full_name="Dara O'Brien", email="dara@example.com")
        with after_commit():
            created = incident(
                actor=agent, support_group=group, requester=dara, title='R&D "VPN" <down>'
            )
        message = only_mail_to(dara.email)
        assert message.subject == (
            f'[{created.number}] We have logged your incident: R&D "VPN" <down>'
        )
        assert 'R&D "VPN" <down>' in message.body
        assert "Hello Dara" in message.body
        assert "&amp;" not in message.body + message.subject
        assert "&quot;" not in message.body + message.subject

    def test_not_on_an_internal_note(self, after_commit, agent, group, requester):
        subject = incident(actor=agent, support_group=group, requester=requester)
        settle()
        with after_commit() as callbacks:
            services.incident_comment(
                incident_id=subject.pk,
                actor=agent,
                body="<p>Probably the switch.</p>",
                visibility=Visibility.INTERNAL,
            )
        # No e-mail queued (the live pages' change stamps are set after the commit too).
        assert [c for c in callbacks if getattr(c, "__module__", "") != "live.services"] == []
        assert mail.outbox == []

    def test_on_resolution_with_the_resolution_text(self, after_commit, agent, requester, settings):
        settings.INCIDENT_REOPEN_WINDOW_DAYS = 5
        subject = incident_in(S.IN_PROGRESS, agent=agent, requester=requester)
        settle()
        with after_commit():
            transition(
                subject,
                agent,
                S.RESOLVED,
                resolution_code=ResolutionCode.SOLVED_WORKAROUND,
                resolution_notes="<p>Rebooted the <b>print server</b>.</p>",
            )
        message = only_mail_to(requester.email)
        assert message.subject.startswith(f"[{subject.number}] Resolved:")
        assert "Rebooted the print server." in message.body
        assert "Solved (workaround)" in message.body
        assert "reopen it within 5 days" in message.body

    def test_not_on_other_status_changes(self, after_commit, agent, requester):
        subject = incident_in(S.ASSIGNED, agent=agent, requester=requester)
        settle()
        with after_commit():
            transition(subject, agent, S.IN_PROGRESS)
            transition(subject, agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        assert sent_to(requester.email) == []


@pytest.mark.django_db
class TestOwnersHear:
    def test_the_assignee_on_assignment(self, after_commit, agent, group):
        colleague = AgentFactory(email="colleague@example.com")
        group.members.add(colleague)
        subject = incident(actor=agent, support_group=group)
        settle()
        with after_commit():
            services.incident_assign(
                incident_id=subject.pk, actor=agent, support_group=group, assignee=colleague
            )
        message = only_mail_to(colleague.email)
        assert message.subject.startswith(f"[{subject.number}] Assigned to you:")
        assert "Service Desk" in message.body
        assert sent_to(agent.email) == []

    def test_the_assignee_given_at_creation(self, after_commit, agent, group):
        colleague = AgentFactory(email="colleague@example.com")
        group.members.add(colleague)
        with after_commit():
            created = incident(actor=agent, support_group=group, assignee=colleague)
        assert created.number in only_mail_to(colleague.email).subject

    def test_not_when_they_assign_themselves(self, after_commit, agent, group):
        subject = incident(actor=agent, support_group=group)
        settle()
        with after_commit():
            services.incident_take(incident_id=subject.pk, actor=agent)
        assert mail.outbox == []
        assert Incident.objects.get(pk=subject.pk).assignee == agent

    def test_not_when_they_assign_themselves_explicitly(self, after_commit, agent, group):
        subject = incident(actor=agent, support_group=group)
        settle()
        with after_commit():
            services.incident_assign(
                incident_id=subject.pk, actor=agent, support_group=group, assignee=agent
            )
        assert mail.outbox == []

    def test_the_groups_address_when_nobody_is_assigned(self, after_commit, agent):
        lead = AgentFactory(email="lead@example.com")
        network = SupportGroupFactory(
            name="Network", email="network-team@example.com", lead=lead, members=[agent]
        )
        with after_commit():
            created = incident(actor=agent, support_group=network)
        message = only_mail_to("network-team@example.com")
        assert created.number in message.subject
        assert "Nobody has picked it up yet." in message.body
        assert sent_to(lead.email) == []

    def test_the_groups_address_when_moved_to_the_group_unassigned(self, after_commit, agent):
        subject = incident(actor=agent, support_group=SupportGroupFactory(members=[agent]))
        network = SupportGroupFactory(name="Network", email="network-team@example.com")
        settle()
        with after_commit():
            services.incident_assign(incident_id=subject.pk, actor=agent, support_group=network)
        assert subject.number in only_mail_to("network-team@example.com").subject

    def test_the_lead_when_the_group_has_no_address(self, after_commit, agent):
        lead = AgentFactory(email="lead@example.com")
        team = SupportGroupFactory(lead=lead, members=[agent])
        with after_commit():
            created = incident(actor=agent, support_group=team)
        assert created.number in only_mail_to(lead.email).subject

    def test_the_assignee_when_the_requester_replies(self, after_commit, agent, requester):
        subject = incident_in(S.IN_PROGRESS, agent=agent, requester=requester)
        settle()
        with after_commit():
            services.incident_comment(
                incident_id=subject.pk, actor=requester, body="<p>Still broken here.</p>"
            )
        message = only_mail_to(agent.email)
        assert message.subject.startswith(f"[{subject.number}] The requester replied:")
        assert "Still broken here." in message.body


@pytest.mark.django_db
class TestLanguage:
    def test_each_recipient_gets_their_own_language(self, after_commit, agent, group):
        """Language-independent: the template is rendered while the recipient's language is
        active (whatever the catalogue holds)."""
        persian = EndUserFactory(email="parisa@example.com", language="fa")
        chinese = AgentFactory(email="li@example.com", language="zh-hans")
        group.members.add(chinese)
        active = []

        def spy(template_name, context=None, *args, **kwargs):
            active.append((template_name, translation.get_language()))
            return real_render_to_string(template_name, context, *args, **kwargs)

        with mock.patch("servicedesk.emails.render_to_string", side_effect=spy), after_commit():
            incident(actor=agent, support_group=group, requester=persian, assignee=chinese)
        assert ("incidents/email/logged_subject.txt", "fa") in active
        assert ("incidents/email/logged.txt", "fa") in active
        assert ("incidents/email/assigned_subject.txt", "zh-hans") in active
        assert translation.get_language() == "en"  # the worker's language is restored

    def test_no_language_means_the_site_language(self, after_commit, agent, group, settings):
        nobody = EndUserFactory(email="plain@example.com", language="")
        # e.g. the language of the request that saved it
        with translation.override("fa"), after_commit():
            created = incident(actor=agent, support_group=group, requester=nobody)
        assert only_mail_to(nobody.email).subject.startswith(
            f"[{created.number}] We have logged your incident:"
        )

    def test_a_persian_requester_gets_a_persian_subject(self, after_commit, agent, group):
        if not persian_is_translated(LOGGED_SUBJECT):
            pytest.skip(
                "locale/fa has no translation of the incident e-mail subjects yet "
                f"({LOGGED_SUBJECT!r}); the lead translates them later"
            )
        persian = EndUserFactory(email="parisa@example.com", language="fa")
        with after_commit():
            created = incident(
                actor=agent, support_group=group, requester=persian, title="Printer jammed"
            )
        with translation.override("fa"):
            expected = translation.gettext(LOGGED_SUBJECT) % {
                "number": created.number,
                "title": "Printer jammed",
            }
        subject = only_mail_to(persian.email).subject
        assert subject == " ".join(expected.split())
        assert created.number in subject
        assert re.search("[\u0600-\u06ff]", subject), subject  # Persian script
        assert "We have logged" not in subject


@pytest.mark.django_db
class TestDelivery:
    def test_nothing_is_sent_before_the_commit(self, agent, group, requester):
        incident(actor=agent, support_group=group, requester=requester)
        assert mail.outbox == []  # the test's transaction never commits

    def test_nothing_is_queued_when_the_service_call_fails(self, after_commit, agent, group):
        """A logged call creates the incident (queuing its e-mails) and then fails to resolve
        it: the whole transaction rolls back and so do the queued e-mails."""
        requester = EndUserFactory(email="caller@example.com")
        queued = mock.patch.object(transaction, "on_commit", wraps=transaction.on_commit)
        with after_commit() as callbacks, queued as on_commit, pytest.raises(ValidationError):
            services.incident_log_call(
                actor=agent,
                title="Outlook will not start",
                impact="low",
                urgency="low",
                requester=requester,
                resolve_now=True,
                resolution_code="magic",
                resolution_notes="Restarted it.",
            )
        assert on_commit.called  # the "logged" e-mail was queued before the failure...
        assert callbacks == []  # ...and dropped with the rollback
        assert mail.outbox == []
        assert not Incident.objects.exists()

    def test_nothing_is_queued_when_the_caller_rolls_back(self, after_commit, agent, group):
        requester = EndUserFactory(email="caller@example.com")
        with after_commit() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
            incident(actor=agent, support_group=group, requester=requester)
            raise RuntimeError("the view failed after the service call")
        assert callbacks == []
        assert mail.outbox == []

    def test_with_the_broker_down_the_incident_is_saved_and_its_mail_kept_for_the_sweep(
        self, after_commit, agent, group, requester, caplog
    ):
        with (
            mock.patch.object(
                deliver_notifications_task, "delay", side_effect=OSError("Connection refused")
            ) as delay,
            caplog.at_level(logging.ERROR, logger="servicedesk.notifications"),
            after_commit(),
        ):
            created = incident(actor=agent, support_group=group, requester=requester)
        assert delay.call_count == 1  # one request for the whole transaction
        assert Incident.objects.filter(pk=created.pk, number=created.number).exists()
        assert mail.outbox == []
        assert any("sweep" in record.getMessage() for record in caplog.records)
        assert Notification.objects.filter(object_id=created.pk, sent_at__isnull=True).exists()

        # The broker is back: beat's sweep sends what waited, once.
        assert deliver_pending() >= 1
        assert created.number in sent_to(requester.email)[0].subject
        assert deliver_pending() == 0
        assert len(sent_to(requester.email)) == 1

    def test_with_the_broker_down_later_steps_still_succeed(self, after_commit, agent, requester):
        subject = incident_in(S.IN_PROGRESS, agent=agent, requester=requester)
        broker_down = mock.patch.object(deliver_notifications_task, "delay", side_effect=OSError)
        with broker_down, after_commit():
            transition(subject, agent, S.RESOLVED)
        assert Incident.objects.get(pk=subject.pk).status == S.RESOLVED

    def test_a_failing_mail_server_is_retried_and_then_given_up(
        self, after_commit, agent, group, requester
    ):
        from servicedesk.notifications import MAX_ATTEMPTS

        with mock.patch("servicedesk.notifications._send", side_effect=OSError("SMTP down")):
            with after_commit():
                created = incident(actor=agent, support_group=group, requester=requester)
            for _ in range(MAX_ATTEMPTS + 2):
                deliver_pending()
        waiting = Notification.objects.get(object_id=created.pk, kind="logged")
        assert waiting.sent_at is None
        assert waiting.attempts == MAX_ATTEMPTS
        assert "SMTP down" in waiting.last_error

    def test_an_inactive_person_gets_nothing(self, after_commit, agent, group):
        gone = EndUserFactory(email="gone@example.com", is_active=False)
        with after_commit():
            incident(actor=agent, support_group=group, requester=gone)
        assert sent_to(gone.email) == []
