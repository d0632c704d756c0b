"""The knowledge services: writing (from scratch and from a resolved ticket), the review
workflow and its guards, versions and their diff, votes once per person, and who sees what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from knowledge import services
from knowledge.choices import ArticleStatus, Audience
from knowledge.models import Article, ArticleVote
from knowledge.selectors import (
    article_search,
    article_versions,
    articles_visible_to,
    readable_by,
    version_diff,
)
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditEvent
from tests.factories import OrganisationFactory
from tests.incidents.factories import incident_in

pytestmark = pytest.mark.django_db


def events(article, **filters):
    from django.contrib.contenttypes.models import ContentType

    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id=article.pk, **filters
    )


class TestWriting:
    def test_an_agent_writes_a_draft_with_its_first_version_and_an_audit_row(self, writer):
        article = services.article_create(actor=writer, title=" Printer jams ", body="Open tray 2.")

        assert (article.status, article.version, article.title) == ("draft", 1, "Printer jams")
        assert [v.number for v in article_versions(article)] == [1]
        assert events(article, kind="created", actor=writer).count() == 1

    def test_an_end_user_may_not_write(self, make_user):
        with pytest.raises(PermissionDenied):
            services.article_create(actor=make_user(Role.END_USER), title="x", body="y")
        assert not Article.objects.exists()

    def test_bad_input_is_refused_by_field_and_nothing_is_saved(self, writer):
        with pytest.raises(ValidationError) as refused:
            services.article_create(
                actor=writer, title="", body=" ", audience=Audience.ORGANISATION
            )
        assert set(refused.value.message_dict) == {"title", "body", "organisation"}
        assert not Article.objects.exists()

    def test_written_from_a_resolved_incident_with_its_symptoms_and_resolution(self, writer):
        incident = incident_in(
            "resolved", agent=writer, title="Wi-Fi drops on floor 2",
            description="<p>Laptops lose the <b>Wi-Fi</b> every 10 minutes.</p>",
        )  # fmt: skip

        draft = services.article_draft_from(actor=writer, number=incident.number.lower())
        article = services.article_create(actor=writer, **draft)

        assert draft["title"] == "Wi-Fi drops on floor 2"
        assert "Laptops lose the Wi-Fi every 10 minutes." in draft["body"]
        assert "Replaced the faulty cable; the link is back up." in draft["body"]
        assert "<p>" not in draft["body"]
        assert (article.source_number, article.source_object_id) == (incident.number, incident.pk)

    def test_an_open_incident_or_a_hidden_one_is_no_source(self, writer, make_user):
        open_one = incident_in("in_progress", agent=writer)
        with pytest.raises(ValidationError) as refused:
            services.article_draft_from(actor=writer, number=open_one.number)
        assert "resolved" in refused.value.message_dict["source"][0]
        with pytest.raises(ValidationError):
            services.article_draft_from(actor=writer, number="INC9999999")

    def test_a_known_error_with_a_workaround_is_a_source(self, writer, monkeypatch):
        """Any record with a workaround (a problem in the known-error state) will do."""
        incident = incident_in("in_progress", agent=writer, title="Outlook freezes")
        incident.workaround = "Start Outlook in safe mode."
        incident.symptoms = "Outlook stops answering on start."
        monkeypatch.setattr(services, "record_by_number", lambda *, user, number: incident)

        draft = services.article_draft_from(actor=writer, number=incident.number)

        assert "Start Outlook in safe mode." in draft["body"]
        assert "Outlook stops answering on start." in draft["body"]


class TestVersions:
    def test_each_edit_is_a_version_and_the_diff_shows_what_changed(self, writer):
        article = services.article_create(actor=writer, title="VPN", body="one\ntwo\nthree")
        services.article_update(
            actor=writer, article_id=article.pk, version=1, body="one\n2\nthree\nfour"
        )

        versions = list(article_versions(article))
        lines = version_diff(versions[1], versions[0])

        assert [v.number for v in versions] == [2, 1]
        assert [(line.kind, line.text) for line in lines if line.kind in {"added", "removed"}] == [
            ("removed", "two"), ("added", "2"), ("added", "four"),
        ]  # fmt: skip
        assert events(article, kind="field_changed", field="body").count() == 1

    def test_a_stale_edit_is_refused_and_an_edit_changing_nothing_writes_nothing(self, writer):
        article = services.article_create(actor=writer, title="VPN", body="text")
        services.article_update(actor=writer, article_id=article.pk, version=1, title="VPN 2")

        with pytest.raises(StaleVersion):
            services.article_update(actor=writer, article_id=article.pk, version=1, title="Old")
        services.article_update(actor=writer, article_id=article.pk, version=2, title="VPN 2")

        article.refresh_from_db()
        assert (article.title, article.version, article.versions.count()) == ("VPN 2", 2, 2)

    def test_a_published_article_is_not_edited_in_place(self, make_article, writer):
        article = make_article(ArticleStatus.PUBLISHED)
        with pytest.raises(TransitionNotAllowed):
            services.article_update(actor=writer, article_id=article.pk, version=None, body="x")


class TestWorkflow:
    def test_draft_review_published_retired_each_audited(self, make_article, writer, km):
        article = make_article(ArticleStatus.PUBLISHED)

        assert article.published_at is not None and article.review_by is not None
        moves = list(events(article, kind="status_changed").values_list("old_value", "new_value"))
        assert moves == [("draft", "in_review"), ("in_review", "published")]
        services.article_transition(actor=km, article_id=article.pk, to="retired", reason="Old")
        assert Article.objects.get(pk=article.pk).status == "retired"

    def test_an_agent_may_not_publish_send_back_or_retire(self, make_article, writer):
        article = make_article(ArticleStatus.IN_REVIEW)
        for target in ("published", "draft"):
            with pytest.raises(PermissionDenied):
                services.article_transition(actor=writer, article_id=article.pk, to=target,
                                            reason="r")  # fmt: skip
        assert Article.objects.get(pk=article.pk).status == "in_review"

    def test_a_knowledge_manager_may_not_publish_their_own_article(self, make_article, km):
        article = make_article(ArticleStatus.IN_REVIEW, author=km)
        with pytest.raises(PermissionDenied):
            services.article_transition(actor=km, article_id=article.pk, to="published")

    def test_moves_outside_the_workflow_are_refused(self, make_article, km):
        article = make_article(ArticleStatus.DRAFT)
        with pytest.raises(TransitionNotAllowed):
            services.article_transition(actor=km, article_id=article.pk, to="published")

    def test_sending_back_needs_a_reason(self, make_article, km):
        article = make_article(ArticleStatus.IN_REVIEW)
        with pytest.raises(ValidationError):
            services.article_transition(actor=km, article_id=article.pk, to="draft")
        services.article_transition(actor=km, article_id=article.pk, to="draft", reason="Typos")
        assert events(article, new_value="draft").get().note == "Typos"

    def test_the_moves_offered_follow_the_role(self, make_article, writer, km):
        article = make_article(ArticleStatus.IN_REVIEW)
        assert [t for t, _label in services.article_moves(writer, article)] == []
        assert [t for t, _label in services.article_moves(km, article)] == ["draft", "published"]


class TestAudience:
    def test_end_users_see_published_articles_of_their_audience_only(self, make_article, make_user):
        acme, other = OrganisationFactory(), OrganisationFactory()
        emma = make_user(Role.END_USER, organisation=acme)
        everyone = make_article(ArticleStatus.PUBLISHED, title="Everyone")
        staff = make_article(ArticleStatus.PUBLISHED, title="Staff", audience=Audience.STAFF)
        mine = make_article(ArticleStatus.PUBLISHED, title="Acme", audience="organisation",
                            organisation=acme)  # fmt: skip
        theirs = make_article(ArticleStatus.PUBLISHED, title="Other", audience="organisation",
                              organisation=other)  # fmt: skip
        draft = make_article(ArticleStatus.DRAFT, title="Draft")
        retired = make_article(ArticleStatus.RETIRED, title="Retired")

        assert set(articles_visible_to(emma)) == {everyone, mine}
        assert set(readable_by(emma)) == {everyone, mine}
        assert {staff, theirs, draft, retired}.isdisjoint(readable_by(emma))

    def test_agents_read_staff_articles_and_open_every_article(self, make_article, writer):
        staff = make_article(ArticleStatus.PUBLISHED, title="Staff", audience=Audience.STAFF)
        draft = make_article(ArticleStatus.DRAFT, title="Draft")

        assert staff in readable_by(writer) and draft not in readable_by(writer)
        assert {staff, draft} <= set(articles_visible_to(writer))

    def test_search_offers_only_what_the_reader_may_read(self, make_article, make_user):
        emma = make_user(Role.END_USER)
        make_article(ArticleStatus.PUBLISHED, title="VPN for staff", audience=Audience.STAFF)
        public = make_article(ArticleStatus.PUBLISHED, title="VPN drops at home")
        make_article(ArticleStatus.IN_REVIEW, title="VPN draft")

        assert article_search("vpn", user=emma) == [public]


class TestVotes:
    def test_one_vote_per_person_and_voting_again_replaces_it(self, make_article, make_user):
        article = make_article(ArticleStatus.PUBLISHED)
        emma, sara = make_user(Role.END_USER), make_user(Role.END_USER)

        services.article_vote(actor=emma, article_id=article.pk, helpful=True)
        services.article_vote(actor=emma, article_id=article.pk, helpful=True)
        services.article_vote(actor=sara, article_id=article.pk, helpful=True)
        services.article_vote(actor=sara, article_id=article.pk, helpful=False)

        article.refresh_from_db()
        assert (article.helpful, article.not_helpful) == (1, 1)
        assert ArticleVote.objects.filter(article=article).count() == 2

    def test_nobody_votes_on_an_article_they_may_not_read(self, make_article, make_user):
        draft = make_article(ArticleStatus.DRAFT)
        with pytest.raises(Article.DoesNotExist):
            services.article_vote(actor=make_user(Role.END_USER), article_id=draft.pk, helpful=True)
