"""The self-service additions: deflection with knowledge articles (full-text search, logged
outcome), reporting with a service and a file, confirming a resolution, rating an incident,
and the agent pages an end user may not open."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.choices import IncidentStatus
from incidents.models import Incident, RoutingRule
from knowledge.models import Article
from knowledge.selectors import article_search
from portal.models import Deflection, DeflectionOutcome
from servicedesk.models import Attachment, SatisfactionRating
from tests.catalogue.factories import ServiceFactory
from tests.incidents.factories import (
    AgentFactory,
    EndUserFactory,
    SupportGroupFactory,
    incident,
    transition,
)
from tests.servicedesk.helpers import PNG_BYTES


@pytest.fixture
def desk(db):
    agent = AgentFactory(full_name="Arash Agent")
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    RoutingRule.objects.create(name="Everything", support_group=group)
    return agent


@pytest.fixture
def emma(db):
    return EndUserFactory(full_name="Emma Wilson")


@pytest.fixture
def portal(client, emma):
    client.force_login(emma)
    return client


@pytest.fixture
def articles(db):
    vpn = Article.objects.create(
        title="VPN does not connect from home", body="Restart the VPN client, then sign in again.",
        keywords="remote access tunnel", status="published",
    )  # fmt: skip
    printer = Article.objects.create(
        title="Printer jams on floor 3",
        body="Open tray 2 and remove the paper.",
        status="published",
    )
    draft = Article.objects.create(title="VPN secrets draft", body="Not yet.", status="draft")
    return vpn, printer, draft


class TestSearch:
    def test_full_text_finds_published_articles_by_title_keywords_and_prefixes(
        self, articles, emma
    ):
        vpn, printer, draft = articles
        assert article_search("my vpn keeps failing", user=emma) == [vpn]
        assert article_search("tunnel", user=emma) == [vpn]  # a keyword
        assert article_search("print", user=emma) == [printer]  # a prefix
        assert draft not in article_search("vpn secrets", user=emma)
        assert article_search("a", user=emma) == []

    def test_the_sqlite_fallback_matches_words(self, articles, emma, monkeypatch):
        from knowledge import selectors

        monkeypatch.setattr(selectors.connection, "vendor", "sqlite")
        vpn, printer, _draft = articles
        assert selectors.article_search("printer on floor 3", user=emma) == [printer]
        assert selectors.article_search("vpn", user=emma) == [vpn]


class TestDeflection:
    def test_suggestions_appear_while_typing_and_are_recorded(self, portal, emma, articles):
        page = portal.get("/portal/incidents/new/")
        deflection = Deflection.objects.get(user=emma)
        assert f'value="{deflection.pk}"' in page.content.decode()

        fragment = portal.get(
            "/portal/suggest/", {"title": "vpn not working", "deflection": deflection.pk}
        ).content.decode()

        assert "VPN does not connect from home" in fragment
        deflection.refresh_from_db()
        assert deflection.query == "vpn not working"
        assert deflection.shown_article_ids == [articles[0].pk]

    def test_logging_the_incident_anyway_is_recorded(self, portal, emma, desk, articles):
        portal.get("/portal/incidents/new/")
        deflection = Deflection.objects.get()
        portal.post(
            "/portal/incidents/new/",
            {
                "title": "VPN broken",
                "impact": "low",
                "urgency": "high",
                "deflection": deflection.pk,
            },
        )
        deflection.refresh_from_db()
        assert deflection.outcome == DeflectionOutcome.LOGGED
        assert deflection.incident == Incident.objects.get()

    def test_an_article_that_solved_it_spares_the_incident(self, portal, emma, articles):
        portal.get("/portal/incidents/new/")
        deflection = Deflection.objects.get()
        vpn = articles[0]
        assert (
            "Restart the VPN client" in portal.get(f"/portal/articles/{vpn.pk}/").content.decode()
        )

        portal.post(f"/portal/articles/{vpn.pk}/solved/", {"deflection": deflection.pk})

        deflection.refresh_from_db()
        vpn.refresh_from_db()
        assert (deflection.outcome, deflection.article) == (DeflectionOutcome.SOLVED, vpn)
        assert vpn.helpful == 1 and not Incident.objects.exists()

    def test_someone_elses_deflection_is_not_touched(self, portal, articles):
        other = Deflection.objects.create(user=EndUserFactory())
        portal.get("/portal/suggest/", {"title": "vpn", "deflection": other.pk})
        other.refresh_from_db()
        assert other.query == ""

    def test_drafts_are_not_readable(self, portal, articles):
        assert portal.get(f"/portal/articles/{articles[2].pk}/").status_code == 404


class TestReportAndFollow:
    def test_report_with_a_service_and_a_file(self, portal, desk):
        service = ServiceFactory(name="E-mail")
        screenshot = SimpleUploadedFile("error.png", PNG_BYTES, "image/png")
        portal.post(
            "/portal/incidents/new/",
            {"title": "Mail bounces", "impact": "low", "urgency": "medium", "service": service.pk,
             "file": screenshot},
        )  # fmt: skip
        logged = Incident.objects.get()
        assert logged.service == service
        assert Attachment.objects.get(object_id=logged.pk).filename == "error.png"

    def test_confirming_the_resolution_closes_it_and_rating_follows(self, portal, emma, desk):
        record = incident(
            actor=desk, requester=emma, title="Slow laptop", impact="low", urgency="low"
        )
        transition(record, desk, IncidentStatus.RESOLVED)

        page = portal.get(f"/portal/incidents/{record.number}/").content.decode()
        assert "Yes, it is solved" in page and "Rate the service" in page
        portal.post(f"/portal/incidents/{record.number}/confirm/")
        portal.post(f"/portal/rate/{record.number}/", {"score": "2", "comment": "Took long"})

        record.refresh_from_db()
        assert record.status == IncidentStatus.CLOSED
        assert SatisfactionRating.objects.get().score == 2

    def test_an_open_incident_cannot_be_rated_or_confirmed(self, portal, emma, desk):
        record = incident(actor=desk, requester=emma, title="Slow", impact="low", urgency="low")
        portal.post(f"/portal/incidents/{record.number}/confirm/")
        portal.post(f"/portal/rate/{record.number}/", {"score": "5"})
        record.refresh_from_db()
        assert record.status == IncidentStatus.NEW
        assert not SatisfactionRating.objects.exists()

    def test_someone_elses_incident_cannot_be_rated(self, portal, desk):
        other = incident(
            actor=desk, requester=EndUserFactory(), title="Theirs", impact="low", urgency="low"
        )
        transition(other, desk, IncidentStatus.RESOLVED)
        assert portal.post(f"/portal/rate/{other.number}/", {"score": "1"}).status_code == 404


@pytest.mark.parametrize("path", ["/catalogue/tasks/", "/catalogue/requests/"])
def test_end_users_cannot_open_the_agent_pages(portal, path):
    assert portal.get(path).status_code == 403
