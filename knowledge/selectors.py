"""Reads of the knowledge base: who sees which article, finding articles for what a person typed
(full-text search on PostgreSQL, words elsewhere), versions and their differences, and the
knowledge KPIs."""

import difflib
import re
from dataclasses import dataclass

from django.apps import apps
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet

from accounts.roles import can_see_internal
from knowledge.choices import ArticleStatus, Audience
from knowledge.models import Article, ArticleVersion
from servicedesk.fulltext import ranked_ids

# What the stored `Article.search_vector` holds (GIN-indexed, migration 0005).
SEARCH_CONFIG = "simple"
VECTOR = SearchVector("title", "keywords", "body", config=SEARCH_CONFIG)
MIN_WORD = 3
KNOWLEDGE_MANAGE = "knowledge.manage_articles"
KNOWLEDGE_WRITE = "knowledge.add_article"


def published() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED)


def audience_of(user) -> Q:
    """The audiences `user` belongs to: everyone's articles; staff (those who see internal work)
    also the staff-only ones; a person of an organisation also that organisation's."""
    condition = Q(audience=Audience.EVERYONE)
    if can_see_internal(user):
        return condition | Q(audience=Audience.STAFF) | Q(audience=Audience.ORGANISATION)
    if getattr(user, "organisation_id", None):
        condition |= Q(audience=Audience.ORGANISATION, organisation_id=user.organisation_id)
    return condition


def articles_visible_to(user) -> QuerySet[Article]:
    """Every article `user` may open: staff who write articles see all of them, in any state
    (drafts are reviewed and improved by colleagues); everyone else only published articles of
    an audience they belong to. Nobody signed out sees any."""
    if not user.is_authenticated:
        return Article.objects.none()
    if can_see_internal(user) and user.has_perm(KNOWLEDGE_WRITE):
        return Article.objects.all()
    return published().filter(audience_of(user))


def readable_by(user) -> QuerySet[Article]:
    """What `user` may read as a reader (the portal, search, suggestions): published articles of
    their audience, whatever else they may edit."""
    if not user.is_authenticated:
        return Article.objects.none()
    return published().filter(audience_of(user))


def article_get(*, user, pk: int) -> Article:
    """One article `user` may open (Article.DoesNotExist otherwise: a 404)."""
    return articles_visible_to(user).select_related("author", "service", "organisation").get(pk=pk)


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", (text or "").lower()) if len(w) >= MIN_WORD][:12]


def article_search(text: str, *, user, limit: int = 5) -> list[Article]:
    """The published articles of `user`'s audience best matching `text`, best first (empty for
    too little text).

    PostgreSQL: the words' prefixes against the stored, GIN-indexed vector, every word first,
    then two of them, then any word while too few are found (`servicedesk.fulltext`), ranked on
    the table alone; the few best are then read by id. Other databases (SQLite in development):
    any word in the title, keywords or body.
    """
    words = words_of(text)
    if not words:
        return []
    rows = readable_by(user).only("id", "title", "summary", "service_id")
    if connection.vendor == "postgresql":
        # An OR of the words matched a third of 50,000 articles, every one ranked (a sequential
        # scan of the table, p95 109 ms); the every-word tier ranks a few through the index.
        scores = ranked_ids(
            rows, vector=F("search_vector"), words=words, config=SEARCH_CONFIG, limit=limit
        )
        found = rows.in_bulk(list(scores))
        return [found[pk] for pk in list(scores)[:limit] if pk in found]
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


# --- Versions -------------------------------------------------------------------------------


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    """Its versions, newest first, with who wrote each (one query)."""
    return article.versions.select_related("edited_by").order_by("-number")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed" or "hunk"
    text: str


def version_diff(older: ArticleVersion, newer: ArticleVersion) -> list[DiffLine]:
    """A unified diff (difflib) of two versions' title, summary, keywords and text, as lines
    marked added, removed, unchanged or a hunk header (the page colours them)."""

    def lines(version: ArticleVersion) -> list[str]:
        head = [f"# {version.title}"]
        head += [f"> {version.summary}"] if version.summary else []
        head += [f"[{version.keywords}]"] if version.keywords else []
        return [*head, "", *version.body.splitlines()]

    rows: list[DiffLine] = []
    diff = difflib.unified_diff(
        lines(older), lines(newer), f"v{older.number}", f"v{newer.number}", n=3, lineterm=""
    )
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            rows.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            rows.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            rows.append(DiffLine("removed", line[1:]))
        else:
            rows.append(DiffLine("same", line[1:]))
    return rows


# --- Lists and counts ---------------------------------------------------------------------


def article_list(
    *, user, status: str = "", text: str = "", mine: bool = False
) -> QuerySet[Article]:
    """The workspace's list: articles the person may open, of one status (by default every one
    but retired), optionally their own or with `text` in the title; the author and service
    fetched with them. Indexed on (status, updated_at)."""
    rows = articles_visible_to(user).select_related("author", "service")
    if status in ArticleStatus.values:
        rows = rows.filter(status=status)
    else:
        rows = rows.exclude(status=ArticleStatus.RETIRED)
    if mine:
        rows = rows.filter(author=user)
    if text.strip():
        rows = rows.filter(title__icontains=text.strip()[:100])
    return rows.defer("body", "search_vector")


def deflection_model():
    # The portal's deflection log sits above this app (it points at articles), so it is read by
    # name rather than imported.
    return apps.get_model("portal", "Deflection")


def deflections_of(article: Article) -> int:
    """How many portal visits this article solved without an incident being logged."""
    return deflection_model().objects.filter(article=article, outcome="solved").count()
