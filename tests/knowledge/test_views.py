"""The knowledge pages: the editor and its preview, writing from a ticket, the review actions by
role, the diff page, files and images, and hidden articles answering 404 in the workspace, the
portal and the attachment downloads."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.roles import Role
from knowledge import services
from knowledge.choices import ArticleStatus, Audience
from knowledge.models import Article
from portal.models import Deflection
from tests.factories import OrganisationFactory
from tests.incidents.factories import incident_in

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_an_agent_writes_an_article_from_a_resolved_incident(as_user, writer):
    incident = incident_in("resolved", agent=writer, title="Printer offline on floor 3")
    client = as_user(writer)

    page = client.get(f"/knowledge/new/?from={incident.number}")
    assert "Printer offline on floor 3" in page.content.decode()
    assert "Replaced the faulty cable" in page.content.decode()
    answer = client.post("/knowledge/new/", {
        "source": incident.number, "title": "Printer offline", "body": "## Fix\n\nRestart it.",
        "audience": "everyone",
    })  # fmt: skip

    article = Article.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/knowledge/{article.pk}/"
    assert (article.source_number, article.status, article.author) == (
        incident.number, "draft", writer,
    )  # fmt: skip
    detail = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "<h2>Fix</h2>" in detail and "Submit for review" in detail and ">Publish<" not in detail


def test_bad_input_shows_on_the_form_and_saves_nothing(as_user, writer):
    answer = as_user(writer).post("/knowledge/new/", {"title": "VPN", "body": "x",
                                                      "audience": "organisation"})  # fmt: skip
    assert answer.status_code == 400
    assert "Choose the organisation" in answer.content.decode()
    assert not Article.objects.exists()


def test_an_unknown_source_is_a_message_not_an_error(as_user, writer):
    answer = as_user(writer).get("/knowledge/new/?from=INC0009999", follow=True)
    assert "No record you may see has this number." in answer.content.decode()


def test_the_preview_renders_markdown_and_drops_scripts(as_user, writer):
    answer = as_user(writer).post(
        "/knowledge/preview/", {"body": "**bold** <script>alert(1)</script> [x](javascript:y)"}
    )
    html = answer.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html


def test_the_knowledge_manager_publishes_what_an_agent_submitted(as_user, make_article, km):
    article = make_article(ArticleStatus.IN_REVIEW)
    client = as_user(km)

    assert "Publish" in client.get(f"/knowledge/{article.pk}/").content.decode()
    client.post(f"/knowledge/{article.pk}/transition/",
                {"target": "published", "version": article.version})  # fmt: skip

    assert Article.objects.get(pk=article.pk).status == "published"


def test_a_refused_move_is_shown_not_made(as_user, make_article, writer):
    article = make_article(ArticleStatus.IN_REVIEW)
    answer = as_user(writer).post(
        f"/knowledge/{article.pk}/transition/", {"target": "published"}, follow=True
    )
    assert "Only a knowledge manager" in answer.content.decode()
    assert Article.objects.get(pk=article.pk).status == "in_review"


def test_the_diff_page_highlights_changes(as_user, writer):
    article = services.article_create(actor=writer, title="VPN", body="alpha\nbeta")
    services.article_update(actor=writer, article_id=article.pk, version=1, body="alpha\ngamma")

    html = as_user(writer).get(f"/knowledge/{article.pk}/diff/?a=1&b=2").content.decode()

    assert (
        'kb-diff-removed"><span class="kb-diff-mark" aria-label="removed">−</span><span>beta'
        in html
    )
    assert (
        'kb-diff-added"><span class="kb-diff-mark" aria-label="added">+</span><span>gamma' in html
    )
    assert as_user(writer).get(f"/knowledge/{article.pk}/diff/?a=1&b=9").status_code == 404


def test_end_users_stay_out_of_the_workspace_pages(as_user, make_article, make_user):
    article = make_article(ArticleStatus.PUBLISHED)
    client = as_user(make_user(Role.END_USER))
    for url in ("/knowledge/", f"/knowledge/{article.pk}/", "/knowledge/new/"):
        assert client.get(url).status_code == 403


class TestPortal:
    def test_hidden_articles_are_404_and_readable_ones_count_views(
        self, as_user, make_article, make_user
    ):
        acme = OrganisationFactory()
        emma = make_user(Role.END_USER, organisation=acme)
        public = make_article(ArticleStatus.PUBLISHED, body="Run **this**.")
        hidden = [
            make_article(ArticleStatus.PUBLISHED, audience=Audience.STAFF),
            make_article(ArticleStatus.PUBLISHED, audience="organisation",
                         organisation=OrganisationFactory()),
            make_article(ArticleStatus.IN_REVIEW),
            make_article(ArticleStatus.RETIRED),
        ]  # fmt: skip
        client = as_user(emma)

        page = client.get(f"/portal/articles/{public.pk}/")
        assert "<strong>this</strong>" in page.content.decode()
        assert Article.objects.get(pk=public.pk).views == 1
        for article in hidden:
            assert client.get(f"/portal/articles/{article.pk}/").status_code == 404
            assert client.post(f"/portal/articles/{article.pk}/vote/",
                               {"helpful": "yes"}).status_code == 404  # fmt: skip
            assert client.post(f"/portal/articles/{article.pk}/solved/").status_code == 404

    def test_was_this_helpful_counts_once_per_person(self, as_user, make_article, make_user):
        article = make_article(ArticleStatus.PUBLISHED)
        client = as_user(make_user(Role.END_USER))
        client.post(f"/portal/articles/{article.pk}/vote/", {"helpful": "no"})
        client.post(f"/portal/articles/{article.pk}/vote/", {"helpful": "yes"})
        page = client.get(f"/portal/articles/{article.pk}/").content.decode()

        article.refresh_from_db()
        assert (article.helpful, article.not_helpful) == (1, 0)
        assert "You said it helped." in page

    def test_an_article_that_spared_an_incident_is_counted_on_its_page(
        self, as_user, make_article, make_user, writer
    ):
        article = make_article(ArticleStatus.PUBLISHED)
        emma = make_user(Role.END_USER)
        client = as_user(emma)
        client.get("/portal/incidents/new/")
        deflection = Deflection.objects.get(user=emma)
        client.post(f"/portal/articles/{article.pk}/solved/", {"deflection": deflection.pk})

        as_user(writer)
        html = client.get(f"/knowledge/{article.pk}/").content.decode()
        assert 'data-test="deflected">1<' in html
        assert Article.objects.get(pk=article.pk).helpful == 1


class TestFiles:
    def test_an_image_on_an_article_is_downloaded_by_its_readers_only(
        self, as_user, make_article, writer, make_user
    ):
        article = make_article(ArticleStatus.DRAFT)
        as_user(writer).post(
            f"/knowledge/{article.pk}/files/",
            {"file": SimpleUploadedFile("screen.png", png(), content_type="image/png")},
        )
        attachment = services.Attachment.objects.get()
        url = f"/attachments/{attachment.pk}/download/"
        emma = make_user(Role.END_USER)

        assert as_user(writer).get(url).status_code == 200
        assert as_user(emma).get(url).status_code == 404  # a draft: hidden
        services.article_transition(actor=writer, article_id=article.pk, to="in_review")
        km = make_user(Role.KNOWLEDGE_MANAGER)
        services.article_transition(actor=km, article_id=article.pk, to="published")
        assert as_user(emma).get(url).status_code == 200

    def test_a_disguised_file_is_refused(self, as_user, make_article, writer):
        article = make_article(ArticleStatus.DRAFT)
        answer = as_user(writer).post(
            f"/knowledge/{article.pk}/files/",
            {"file": SimpleUploadedFile("report.png", b"MZ\x90\x00", content_type="image/png")},
            follow=True,
        )
        assert answer.status_code == 200
        assert not services.Attachment.objects.exists()
