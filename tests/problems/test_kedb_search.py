"""The known-error database: search ranking (PostgreSQL full text, words on SQLite), who may
search (end users: 404), the incident page's proposals for its CI, service and text, and
applying a workaround (one public reply, the link, the audit, the KPI)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.models import Incident
from problems import selectors as problem_selectors
from problems.kedb import selectors, services
from problems.kedb.models import WorkaroundUse
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.fulltext import prefix_tiers
from servicedesk.models import AuditEvent, AuditKind, Comment, Visibility
from tests.incidents.factories import (
    ConfigurationItemFactory,
    RoutingRuleFactory,
    ServiceFactory,
    SupportGroupFactory,
    incident,
    incident_in,
    transition,
)
from tests.problems.factories import known_error, problem

pytestmark = pytest.mark.django_db

POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full text")
VPN_WORKAROUND = "<p>Connect to vpn2.example.com until the certificate is renewed.</p>"


def numbers(matches):
    return [m.problem.number for m in matches]


@pytest.fixture
def kedb():
    """Three known errors and a problem still under analysis."""
    return {
        "vpn": known_error(
            title="VPN drops every few minutes",
            symptoms="<p>The VPN client disconnects and reconnects.</p>",
            workaround=VPN_WORKAROUND,
        ),
        "printer": known_error(
            title="Floor printer shows offline",
            symptoms="<p>Jobs stay queued; the VPN is not involved.</p>",
            workaround="<p>Print to the second floor printer.</p>",
        ),
        "mail": known_error(
            title="Outlook asks for the password again and again",
            workaround="<p>Remove the cached credentials.</p>",
        ),
        "open": problem(title="VPN drops on the guest network"),
    }


def test_the_better_match_ranks_first(agent, kedb):
    found = numbers(selectors.known_error_search(user=agent, text="VPN drops all the time"))
    assert found[0] == kedb["vpn"].number
    assert kedb["open"].number not in found  # not a known error yet
    assert kedb["mail"].number not in found
    # A word of the title outweighs the same word in another's symptoms.
    found = numbers(selectors.known_error_search(user=agent, text="vpn"))
    assert found.index(kedb["vpn"].number) < found.index(kedb["printer"].number)


def test_searching_the_workaround_and_by_prefix(agent, kedb):
    assert numbers(selectors.known_error_search(user=agent, text="credentials")) == [
        kedb["mail"].number
    ]
    assert kedb["printer"].number in numbers(selectors.known_error_search(user=agent, text="print"))


def test_nothing_for_common_words_only(agent, kedb):
    assert selectors.known_error_search(user=agent, text="it is not working") == []


def test_end_users_never_see_the_kedb(client, end_user, kedb):
    assert selectors.known_error_search(user=end_user, text="vpn") == []
    client.force_login(end_user)
    assert client.get(reverse("kedb:search"), {"q": "vpn"}).status_code == 404
    RoutingRuleFactory()
    mine = incident(actor=end_user, title="VPN drops")
    response = client.post(
        reverse("kedb:apply", args=[kedb["vpn"].number]), {"incident": mine.number}
    )
    assert response.status_code == 404
    assert not WorkaroundUse.objects.exists()


def test_the_search_page_ranks_and_offers_to_apply(client, agent, kedb):
    worked = incident(actor=agent, title="VPN keeps dropping")
    client.force_login(agent)
    page = client.get(reverse("kedb:search"), {"q": "vpn drops", "incident": worked.number})
    text = page.content.decode()
    assert text.index(kedb["vpn"].number) < text.index(kedb["printer"].number)
    assert "vpn2.example.com" in text
    assert reverse("kedb:apply", args=[kedb["vpn"].number]) in text


def test_the_panel_proposes_for_the_ci_service_and_text(agent, kedb):
    ci = ConfigurationItemFactory(name="PRN-00007")
    service = ServiceFactory(name="Printing")
    on_ci = known_error(
        title="Toner sensor misreads", workaround="<p>Reseat the cartridge.</p>",
        configuration_item=ci,
    )  # fmt: skip
    on_service = known_error(
        title="Printer queue shows stuck jobs",
        workaround="<p>Restart the spooler.</p>",
        service=service,
    )
    worked = incident(
        actor=agent, title="Printer queue shows offline", configuration_item=ci, service=service,
        support_group=SupportGroupFactory(members=[agent]),
    )  # fmt: skip
    proposed = selectors.known_errors_for_incident(user=agent, incident=worked)
    found = numbers(proposed)
    # The one on its CI comes first even without a word in common, then the service's.
    assert found[0] == on_ci.number
    assert found.index(on_service.number) < found.index(kedb["printer"].number)
    first = proposed[0]
    assert first.same_ci and not first.words
    assert proposed[1].same_service and "queue" in proposed[1].words


def test_the_incident_page_loads_the_panel_after_itself(client, agent, kedb, end_user):
    worked = incident(actor=agent, title="VPN drops every few minutes")
    client.force_login(agent)
    text = client.get(reverse("incidents:detail", args=[worked.number])).content.decode()
    card_url = reverse("kedb:incident_card", args=[worked.number])
    assert 'id="known-errors"' in text and card_url in text
    assert kedb["vpn"].number not in text  # not asked for while the page is built

    card = client.get(card_url).content.decode()
    assert 'id="known-errors"' in card and kedb["vpn"].number in card
    client.force_login(end_user)
    assert client.get(card_url).status_code == 404


def test_applying_a_workaround_replies_once_links_and_audits(client, agent, kedb):
    worked = incident(actor=agent, title="VPN drops")
    client.force_login(agent)
    response = client.post(
        reverse("kedb:apply", args=[kedb["vpn"].number]), {"incident": worked.number}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[worked.number])
    incident_type = ContentType.objects.get_for_model(Incident)
    [reply] = Comment.objects.filter(content_type=incident_type, object_id=worked.pk)
    assert reply.visibility == Visibility.PUBLIC
    assert "vpn2.example.com" in reply.body and kedb["vpn"].number in reply.body
    linked = problem_selectors.incident_links(kedb["vpn"]).values_list("source_id", flat=True)
    assert list(linked) == [worked.pk]
    assert AuditEvent.objects.filter(
        content_type=incident_type, object_id=worked.pk, kind=AuditKind.WORKAROUND_APPLIED,
        new_text=kedb["vpn"].number,
    ).count() == 1  # fmt: skip
    use = WorkaroundUse.objects.get()
    assert (use.incident, use.problem, use.comment) == (worked, kedb["vpn"], reply)
    worked.refresh_from_db()
    assert worked.first_responded_at is not None  # a public staff reply is a response
    # Again: refused, nothing doubled.
    again = client.post(
        reverse("kedb:apply", args=[kedb["vpn"].number]), {"incident": worked.number}, follow=True
    )
    assert "applied to this incident already" in again.content.decode()
    assert Comment.objects.filter(content_type=incident_type, object_id=worked.pk).count() == 1
    card = client.get(reverse("kedb:incident_card", args=[worked.number])).content.decode()
    assert "Workaround applied" in card


def test_a_problem_that_is_no_known_error_cannot_be_applied(agent, kedb):
    worked = incident(actor=agent)
    with pytest.raises(type(kedb["open"]).DoesNotExist):
        services.workaround_apply(incident_id=worked.pk, problem_id=kedb["open"].pk, actor=agent)
    assert not Comment.objects.exists()


def test_a_closed_incident_takes_no_workaround(agent, kedb):
    closed = incident_in(IncidentStatus.CLOSED, agent=agent)
    with pytest.raises(TransitionNotAllowed):
        services.workaround_apply(incident_id=closed.pk, problem_id=kedb["vpn"].pk, actor=agent)
    assert not WorkaroundUse.objects.exists()


def test_the_kpi_counts_incidents_resolved_by_a_known_workaround(agent, kedb):
    helped = incident_in(IncidentStatus.IN_PROGRESS, agent=agent, title="VPN drops")
    services.workaround_apply(incident_id=helped.pk, problem_id=kedb["vpn"].pk, actor=agent)
    transition(helped, agent, IncidentStatus.RESOLVED)
    incident_in(IncidentStatus.RESOLVED, agent=agent)
    incident_in(IncidentStatus.RESOLVED, agent=agent)
    late = incident_in(IncidentStatus.RESOLVED, agent=agent, title="VPN drops")
    # Applied after it was resolved: not resolved by the workaround.
    services.workaround_apply(incident_id=late.pk, problem_id=kedb["vpn"].pk, actor=agent)
    now = timezone.now()
    figure = selectors.workaround_share(start=now - timedelta(days=1), end=now + timedelta(1))
    assert (figure.resolved, figure.by_workaround) == (4, 1)
    assert figure.share == 0.25


@POSTGRESQL
def test_two_of_the_words_come_before_any_one_word(agent):
    both = known_error(title="Badge reader rejects cards", workaround="<p>Use the side door.</p>")
    one = known_error(title="Badge printer offline", workaround="<p>Print later.</p>")
    # No known error has all four words: the one with three of them ranks before the one with
    # one, and both are found (the looser searches rank a capped subquery of the index's rows).
    found = numbers(selectors.known_error_search(user=agent, text="badge reader rejects turnstile"))
    assert found[:2] == [both.number, one.number]
    assert prefix_tiers(["a1x", "b2x", "c3x"])[1] == (
        "(a1x:* & b2x:*) | (a1x:* & c3x:*) | (b2x:* & c3x:*)",
        True,
    )


@POSTGRESQL
def test_the_panel_reads_ids_first_then_the_rows(agent, kedb, django_assert_max_num_queries):
    ci = ConfigurationItemFactory()
    kedb["vpn"].configuration_item = ci
    kedb["vpn"].save()
    ticket = incident(
        actor=agent, title="VPN drops again", configuration_item=ci,
        support_group=SupportGroupFactory(members=[agent]),
    )  # fmt: skip
    with django_assert_max_num_queries(5):
        found = selectors.known_errors_for_incident(user=agent, incident=ticket)
    assert found[0].problem.number == kedb["vpn"].number and found[0].same_ci
    assert found[0].problem.configuration_item == ci  # read with the rows, no query more
