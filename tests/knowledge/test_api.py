"""/api/v1/knowledge/articles/: visibility, filters and the keyset cursor, writes and
transitions through the services, votes, versions, and the schema."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from knowledge.choices import ArticleStatus, Audience
from knowledge.models import Article
from tests.incidents.factories import incident_in

pytestmark = pytest.mark.django_db
URL = "/api/v1/knowledge/articles/"


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def test_end_users_list_and_open_only_published_articles_of_their_audience(
    api, make_article, make_user
):
    public = make_article(ArticleStatus.PUBLISHED, title="Public")
    staff = make_article(ArticleStatus.PUBLISHED, title="Staff", audience=Audience.STAFF)
    draft = make_article(ArticleStatus.DRAFT, title="Draft")
    client = api(make_user(Role.END_USER))

    listed = client.get(URL).json()["results"]

    assert [row["id"] for row in listed] == [public.pk]
    assert client.get(f"{URL}{public.pk}/").json()["body_html"].startswith("<h2>Symptoms</h2>")
    for hidden in (staff, draft):
        assert client.get(f"{URL}{hidden.pk}/").status_code == 404
        assert client.post(f"{URL}{hidden.pk}/vote/", {"helpful": True}).status_code == 404
    assert client.get(f"{URL}{public.pk}/versions/").status_code == 404


def test_agents_filter_every_article_and_page_with_a_cursor(api, make_article, writer):
    for n in range(3):
        make_article(ArticleStatus.DRAFT, title=f"Draft {n}")
    published = make_article(ArticleStatus.PUBLISHED, title="Live")
    client = api(writer)

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 2
    ids = {row["id"] for row in first["results"] + second["results"]}
    assert len(ids) == 4
    assert [r["id"] for r in client.get(URL, {"status": "published"}).json()["results"]] == [
        published.pk
    ]
    assert client.get(URL, {"colour": "red"}).status_code == 400


def test_write_submit_and_publish_through_the_api(api, writer, km):
    incident = incident_in("resolved", agent=writer, title="Disk full")
    client = api(writer)

    created = client.post(URL, {"title": "Disk full", "body": "Free space.",
                                "source": incident.number}, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["source_number"], body["version"]) == (
        "draft", incident.number, 1,
    )  # fmt: skip
    pk = body["id"]
    edited = client.patch(f"{URL}{pk}/", {"body": "Free space on C:.", "version": 1}, format="json")
    assert edited.json()["version"] == 2
    assert (
        client.patch(f"{URL}{pk}/", {"body": "x", "version": 1}, format="json").status_code == 409
    )
    assert client.patch(f"{URL}{pk}/", {"status": "published"}, format="json").status_code == 400
    assert (
        client.post(f"{URL}{pk}/transition/", {"to": "in_review"}).json()["status"] == "in_review"
    )
    assert client.post(f"{URL}{pk}/transition/", {"to": "published"}).status_code == 403
    assert api(km).post(f"{URL}{pk}/transition/", {"to": "published"}).json()["status"] == (
        "published"
    )
    assert client.post(f"{URL}{pk}/transition/", {"to": "in_review"}).status_code == 409
    assert [v["number"] for v in client.get(f"{URL}{pk}/versions/").json()] == [2, 1]


def test_end_users_may_not_write_and_bad_input_is_a_field_error(api, make_user, writer):
    assert api(make_user(Role.END_USER)).post(URL, {"title": "x", "body": "y"}).status_code == 403
    answer = api(writer).post(URL, {"title": "x", "body": "y", "audience": "organisation"})
    assert answer.status_code == 400 and "organisation" in answer.json()["errors"]
    assert not Article.objects.exists()


def test_votes_once_per_person(api, make_article, make_user):
    article = make_article(ArticleStatus.PUBLISHED)
    client = api(make_user(Role.END_USER))
    client.post(f"{URL}{article.pk}/vote/", {"helpful": True}, format="json")
    body = client.post(f"{URL}{article.pk}/vote/", {"helpful": False}, format="json").json()
    assert (body["helpful"], body["not_helpful"]) == (0, 1)


def test_the_articles_are_in_the_schema(api, writer):
    schema = api(writer).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/knowledge/articles/" in paths
    assert "/api/v1/knowledge/articles/{id}/transition/" in paths
    assert "/api/v1/knowledge/articles/{id}/vote/" in paths
