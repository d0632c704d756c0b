"""Finding articles for what a person typed: full-text search on PostgreSQL, words elsewhere."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet

from knowledge.models import Article

# What the stored `Article.search_vector` holds (GIN-indexed, migration 0003).
SEARCH_CONFIG = "simple"
VECTOR = SearchVector("title", "keywords", "body", config=SEARCH_CONFIG)
MIN_WORD = 3


def published() -> QuerySet[Article]:
    return Article.objects.filter(is_published=True)


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", (text or "").lower()) if len(w) >= MIN_WORD][:12]


def article_search(text: str, *, limit: int = 5) -> list[Article]:
    """The published articles best matching `text`, best first (empty for too little text).

    PostgreSQL: an OR of the words' prefixes against the stored, GIN-indexed vector, ranked.
    Other databases (SQLite in development): any word in the title, keywords or body.
    """
    words = words_of(text)
    if not words:
        return []
    rows = published().only("id", "title", "summary", "service_id")
    if connection.vendor == "postgresql":
        query = SearchQuery(
            " | ".join(f"{w}:*" for w in words), config=SEARCH_CONFIG, search_type="raw"
        )
        return list(
            rows.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "id")[:limit]
        )
    condition = Q()
    for word in words:
        condition |= (
            Q(title__icontains=word) | Q(keywords__icontains=word) | Q(body__icontains=word)
        )
    matches = list(rows.filter(condition)[:200])

    def score(article):
        title = article.title.lower()
        return -sum(2 if w in title else 1 for w in words)

    return sorted(matches, key=lambda a: (score(a), a.pk))[:limit]
