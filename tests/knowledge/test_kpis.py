"""The knowledge KPIs: figures computed from known data, and who may open the page."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.roles import Role
from knowledge.choices import ArticleStatus
from knowledge.kpis import knowledge_kpis
from knowledge.models import Article
from portal.models import Deflection
from tests.incidents.factories import incident_in

pytestmark = pytest.mark.django_db


def test_articles_from_tickets_per_month(make_article, writer):
    incident = incident_in("resolved", agent=writer)
    with time_machine.travel("2026-10-15 12:00Z"):
        make_article(ArticleStatus.DRAFT)
        make_article(ArticleStatus.DRAFT, source=incident)
    with time_machine.travel("2026-12-02 12:00Z"):
        make_article(ArticleStatus.DRAFT, source=incident)
        months = {
            m.month.isoformat(): (m.from_tickets, m.written) for m in knowledge_kpis()["months"]
        }

    assert months["2026-10-01"] == (1, 2)
    assert months["2026-11-01"] == (0, 0)
    assert months["2026-12-01"] == (1, 1)
    assert len(months) == 12


def test_deflection_rate_views_votes_and_due_for_review(make_article, make_user):
    emma = make_user(Role.END_USER)
    article = make_article(ArticleStatus.PUBLISHED)
    for outcome in ("solved", "solved", "logged", "open"):
        Deflection.objects.create(user=emma, outcome=outcome)
    Deflection.objects.create(user=emma, outcome="solved",
                              created_at=timezone.now() - timedelta(days=40))  # fmt: skip
    Article.objects.filter(pk=article.pk).update(views=7, helpful=3, not_helpful=1,
                                                 review_by=timezone.localdate())  # fmt: skip
    make_article(ArticleStatus.PUBLISHED)  # reviewed in a year

    kpis = knowledge_kpis()

    assert kpis["deflection"]["solved"] == 2 and kpis["deflection"]["ended"] == 3
    assert kpis["deflection"]["rate"] == pytest.approx(2 / 3)
    assert (kpis["votes"]["views"], kpis["votes"]["helpful"]) == (7, 3)
    assert kpis["votes"]["helpful_share"] == pytest.approx(0.75)
    assert kpis["votes"]["top"][0] == article
    assert kpis["review"]["count"] == 1 and kpis["review"]["articles"] == [article]


def test_the_page_is_for_knowledge_managers_and_dashboard_readers(client, make_user, km, writer):
    client.force_login(km)
    page = client.get("/knowledge/kpis/")
    assert page.status_code == 200 and "Deflection rate" in page.content.decode()
    client.force_login(make_user(Role.DESK_MANAGER))
    assert 'href="/knowledge/kpis/"' in client.get("/dashboards/").content.decode()
    client.force_login(writer)
    assert client.get("/knowledge/kpis/").status_code == 403
