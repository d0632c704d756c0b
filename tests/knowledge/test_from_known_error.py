"""Articles written from a known error (a problem with its workaround): the problem's title,
symptoms and workaround fill the article; a problem without a workaround is no source; the
problem's and a resolved incident's pages link to the editor."""

import pytest
from django.core.exceptions import ValidationError

from knowledge import services
from knowledge.models import Article
from tests.incidents.factories import incident_in
from tests.problems.factories import known_error, problem

pytestmark = pytest.mark.django_db


def test_an_article_from_a_known_error_has_its_symptoms_and_workaround(writer, client):
    error = known_error(title="VPN drops on the standby node",
                        symptoms="<p>Sessions drop every few minutes.</p>")  # fmt: skip

    draft = services.article_draft_from(actor=writer, number=error.number)
    article = services.article_create(actor=writer, **draft)

    assert draft["title"] == "VPN drops on the standby node"
    assert "Sessions drop every few minutes." in draft["body"]
    assert "Reconnect to vpn2.example.com until the chain is renewed." in draft["body"]
    assert "expired" not in draft["body"]  # the root cause stays with the problem
    assert article.source_number == error.number
    client.force_login(writer)
    page = client.get(f"/problems/{error.number}/").content.decode()
    assert f'href="/knowledge/new/?from={error.number}"' in page


def test_a_problem_without_a_workaround_is_no_source(writer):
    open_problem = problem(actor=writer)
    with pytest.raises(ValidationError):
        services.article_draft_from(actor=writer, number=open_problem.number)
    assert not Article.objects.exists()


def test_a_resolved_incident_page_offers_to_write_an_article(writer, client):
    resolved = incident_in("resolved", agent=writer)
    working = incident_in("in_progress", agent=writer)
    client.force_login(writer)

    assert (
        f"?from={resolved.number}" in client.get(f"/incidents/{resolved.number}/").content.decode()
    )
    assert (
        f"?from={working.number}"
        not in client.get(f"/incidents/{working.number}/").content.decode()
    )
