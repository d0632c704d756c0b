import pytest

from accounts.roles import Role
from knowledge import services
from knowledge.choices import ArticleStatus


@pytest.fixture
def writer(make_user):
    return make_user(Role.AGENT, full_name="Arash Agent")


@pytest.fixture
def km(make_user):
    return make_user(Role.KNOWLEDGE_MANAGER, full_name="Kian Knowledge")


@pytest.fixture
def make_article(writer, km):
    """make_article(status="published", **fields): an article by `writer` brought to `status`
    through the services (published by `km`)."""

    def make(status=ArticleStatus.DRAFT, *, author=None, **fields):
        fields.setdefault("title", "VPN drops every hour")
        fields.setdefault(
            "body", "## Symptoms\n\nThe tunnel drops.\n\n## Resolution\n\nRenew the lease."
        )
        article = services.article_create(actor=author or writer, **fields)
        steps = {
            ArticleStatus.DRAFT: [],
            ArticleStatus.IN_REVIEW: [ArticleStatus.IN_REVIEW],
            ArticleStatus.PUBLISHED: [ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED],
            ArticleStatus.RETIRED: [
                ArticleStatus.IN_REVIEW,
                ArticleStatus.PUBLISHED,
                ArticleStatus.RETIRED,
            ],
        }[status]
        for target in steps:
            actor = km if target in {ArticleStatus.PUBLISHED, ArticleStatus.RETIRED} else writer
            services.article_transition(actor=actor, article_id=article.pk, to=target,
                                        reason="Out of date")  # fmt: skip
        article.refresh_from_db()
        return article

    return make
