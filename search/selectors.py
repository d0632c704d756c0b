"""The search across everything: records of every registered type (number, title, description),
their comments and work notes, configuration items, knowledge articles and known errors, each
limited to what the person may see.

PostgreSQL: `websearch_to_tsquery` (words, "a phrase", `or`, `-word`) against the stored,
GIN-indexed vectors of the records and comments (search/migrations/0001), ranked with `ts_rank`
and highlighted with `ts_headline`. To stay fast on a large desk, each source takes its newest
`CANDIDATES` matches (walking the primary key backwards for a common word, through the GIN
index for a rare one: `path_for`), ranks those and highlights only the rows shown. Other databases (SQLite,
the embedded default): every word (or the phrase) with LIKE, ranked by where it was found.

A number (`INC0001234`) short-circuits to that record, when the person may see it.
Visibility: each type's `visible_to` (an end user: their own records); end users match public
replies only, never internal work notes; CIs and known errors are staff's; articles the reader's
audience's (knowledge.selectors.article_search).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from html import unescape
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.roles import can_see_internal
from servicedesk import registry
from servicedesk.models import Comment, Visibility

CONFIG = "simple"
# How many of the newest matches of each source are ranked (see the module's docstring).
CANDIDATES = 200
LIMIT = 20
MAX_TEXT = 200
HEADLINE_OPTIONS = (
    "StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … ", HighlightAll=false'
)
NUMBER = re.compile(r"^\s*([A-Za-z]{2,5}\d{4,12})\s*$")
# The record vector's expression (as stored by the migration), computed on the fly for a table
# that has no stored column.
RECORD_EXPRESSION = (
    "setweight(to_tsvector('simple'::regconfig, COALESCE({t}.number, '') || ' ' || "
    "COALESCE({t}.title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE({t}.description, '')), 'B')"
)
# Kinds that are not record types, for the type filter.
CI, ARTICLE, KNOWN_ERROR = "ci", "article", "known_error"
OTHER_KINDS = {
    CI: _("Configuration items"),
    ARTICLE: _("Knowledge articles"),
    KNOWN_ERROR: _("Known errors"),
}
OPEN, DONE = "open", "done"
STATUS_GROUPS = {OPEN: _("Open"), DONE: _("Resolved or closed")}
# Where a record matched, shown beside its snippet.
WHERE_TEXT = _("Title or description")
WHERE_REPLY = _("Reply")
WHERE_NOTE = _("Work note")

# A search whose rarest word is in at least this share of the rows walks the newest rows.
COMMON_SHARE = 0.01
FREQUENCIES_TTL = 600.0
PROBE_ROWS = 1000
PROBE_SQL = (
    "SELECT count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('simple'::regconfig, "
    "%s)), count(*) FROM (SELECT search_vector FROM {table} ORDER BY id DESC LIMIT %s) AS newest"
)

_stored_columns: dict[str, bool] = {}
_frequencies: dict[str, tuple[float, dict[str, float]]] = {}


@dataclass
class Filters:
    """What the search is narrowed to: kinds (record type keys or `ci`, `article`,
    `known_error`; empty: everything), a status (a status group `open`/`done` or one state of
    the chosen type) and the records' creation dates (inclusive)."""

    kinds: tuple[str, ...] = ()
    status: str = ""
    created_from: date | None = None
    created_to: date | None = None

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    @property
    def narrows_records(self) -> bool:
        return bool(self.status or self.created_from or self.created_to)


@dataclass
class Hit:
    """One result: a record, a CI, an article or a known error."""

    kind: str
    kind_label: Any
    title: str
    url: str
    rank: float
    number: str = ""
    status: str = ""
    status_label: Any = ""
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))  # noqa: S308
    where: Any = ""
    created_at: datetime | None = None
    comment_id: int | None = None  # the reply or note it matched in


@dataclass
class Results:
    hits: list[Hit]
    more: bool  # some source had more matches than were ranked
    exact: bool = False  # a number found its record
    seconds: float = 0.0


# --- Entry point ------------------------------------------------------------------------------


def search(*, user, text: str, filters: Filters | None = None, limit: int = LIMIT) -> Results:
    """What `user` may see that best matches `text`, best first (see the module's docstring)."""
    started = time.perf_counter()
    filters = filters or Filters()
    text = (text or "").strip()[:MAX_TEXT]
    if not user.is_authenticated or not _words(text):
        return Results([], more=False)
    exact = number_hit(user=user, text=text)
    if exact is not None:
        return Results([exact], more=False, exact=True, seconds=time.perf_counter() - started)
    if connection.vendor != "postgresql":
        return _search(user, text, filters, limit, started, postgresql=False)
    # One transaction for the searches, without JIT (compiling the larger plans, such as a
    # comment search narrowed to open records, costs more than running them) nor parallel
    # workers (starting them costs more than these short reads).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return _search(user, text, filters, limit, started, postgresql=True)


def _search(user, text: str, filters: Filters, limit: int, started: float, *, postgresql: bool):
    visible = {
        record_type.key: _narrow(record_type.visible(user), record_type, filters)
        for record_type in registry.all_types()
        if filters.wants(record_type.key)
    }
    found: Found = {}
    more = False
    for key, rows in visible.items():
        more = _record_matches(registry.get(key), rows, text, postgresql, found) or more
    more = _comment_matches(user, visible, text, postgresql, found) or more
    others = _others(user, text, filters, postgresql) if not filters.narrows_records else []
    # The best first, the newest of equals; only the records shown are read.
    ranked: list[tuple[float, float, Key | Hit]] = [
        (rank, when, key) for key, (rank, _where, _comment, when) in found.items()
    ]
    ranked += [
        (hit.rank, hit.created_at.timestamp() if hit.created_at else 0.0, hit) for hit in others
    ]
    ranked.sort(key=lambda row: (-row[0], -row[1]))
    more = more or len(ranked) > limit
    shown = [row[2] for row in ranked[:limit]]
    record_hits = _record_hits(
        user, found, [k for k in shown if isinstance(k, tuple)], text, postgresql
    )
    hits = [
        item if isinstance(item, Hit) else record_hits[item]
        for item in shown
        if isinstance(item, Hit) or item in record_hits
    ]
    if postgresql:
        _highlight_records(hits, text)
    return Results(hits, more=more, seconds=time.perf_counter() - started)


def kind_choices(user) -> list[tuple[str, Any]]:
    """The kinds a person may narrow the search to: every record type, and for staff the CIs
    and known errors; articles for everyone."""
    choices: list[tuple[str, Any]] = [(t.key, t.label) for t in registry.all_types()]
    staff = can_see_internal(user)
    for kind, label in OTHER_KINDS.items():
        if kind == ARTICLE or staff:
            choices.append((kind, label))
    return choices


def status_choices(kinds: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """The status groups, and the states of the one record type chosen."""
    choices: list[tuple[str, Any]] = list(STATUS_GROUPS.items())
    if len(kinds) == 1 and kinds[0] in {t.key for t in registry.all_types()}:
        record_type = registry.get(kinds[0])
        labels = dict(record_type.model_class._meta.get_field("status").flatchoices)
        choices += [(state, labels.get(state, state)) for state in record_type.workflow.states]
    return choices


def number_hit(*, user, text: str) -> Hit | None:
    """The record a number names (`inc0001234` too), if the person may see it: one indexed read
    on the unique number."""
    match = NUMBER.match(text)
    if not match:
        return None
    number = match.group(1).upper()
    record_type = registry.for_number(number)
    if record_type is None:
        return None
    record = record_type.visible(user).filter(number=number).first()
    if record is None:
        return None
    hit = _record_hit(user, record_type, record, rank=1.0)
    hit.snippet = _mark(record.title, [])
    return hit


# --- Records and their comments ------------------------------------------------------------------


def has_stored_vector(table: str) -> bool:
    """Whether the table has the migration's stored `search_vector` (asked once per process)."""
    if table not in _stored_columns:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_name = %s "
                "AND column_name = 'search_vector' AND table_schema = current_schema()",
                [table],
            )
            _stored_columns[table] = cursor.fetchone() is not None
    return _stored_columns[table]


def vector_for(model) -> RawSQL:
    """The record table's tsvector: the stored column, or the same expression on the fly."""
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    if has_stored_vector(table):
        return RawSQL(f"{quoted}.search_vector", [], output_field=SearchVectorField())  # noqa: S611
    return RawSQL(RECORD_EXPRESSION.format(t=quoted), [], output_field=SearchVectorField())  # noqa: S611


def _comment_vector() -> RawSQL:
    table = Comment._meta.db_table
    quoted = connection.ops.quote_name(table)
    if has_stored_vector(table):
        return RawSQL(f"{quoted}.search_vector", [], output_field=SearchVectorField())  # noqa: S611
    return RawSQL(  # noqa: S611 - quoted table names, the text a parameter
        f"to_tsvector('simple'::regconfig, COALESCE({quoted}.body, ''))",
        [],
        output_field=SearchVectorField(),
    )


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, config=CONFIG, search_type="websearch")


def word_frequencies(table: str) -> dict[str, float]:
    """The share of the table's rows holding each of its most common words (the planner's
    statistics of `search_vector`, pg_stats' most common elements), kept for ten minutes."""
    cached = _frequencies.get(table)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    frequencies: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = %s AND attname = 'search_vector' AND schemaname = current_schema()",
            [table],
        )
        row = cursor.fetchone()
    if row and row[0]:
        frequencies = dict(zip(row[0], row[1], strict=False))
    _frequencies[table] = (time.monotonic() + FREQUENCIES_TTL, frequencies)
    return frequencies


WALK, INDEX = "walk", "index"


def path_for(table: str, text: str) -> str:
    """How to find the newest matches: `WALK` the primary key backwards (cheap when the search
    matches a large share of the rows: a few thousand rows read at most) or through the GIN
    `INDEX` (when it matches few). The share of each word comes from the column's statistics
    (pg_stats' most common elements), multiplied for words searched together (the least of a
    phrase's words, the greatest of an `or`'s alternatives). Common words that may go together
    ("printer toner": their product says rare, they are not) are counted in the newest rows.
    The planner is not asked: it takes a word missing from its statistics for a frequent one
    (and walks the whole table for it), and words that go together for rare ones."""
    frequencies = word_frequencies(table)
    if not frequencies:
        return INDEX

    def share(words: list[str]) -> float:
        return min((frequencies.get(word, 0.0) for word in words), default=0.0)

    best = least = 0.0
    for alternative in re.split(r"\s+or\s+", text.lower()):
        together, rarest = 1.0, 1.0
        for phrase, word in re.findall(r'"([^"]+)"|(\S+)', alternative):
            if word.startswith("-"):
                continue
            words = re.findall(r"\w+", phrase or word)
            if words:
                together *= share(words)
                rarest = min(rarest, share(words))
        best, least = max(best, together), max(least, rarest)
    if best >= COMMON_SHARE:
        return WALK
    if least < COMMON_SHARE:
        return INDEX
    return WALK if _recent_share(table, text) >= COMMON_SHARE else INDEX


def _recent_share(table: str, text: str) -> float:
    """The share of the newest `PROBE_ROWS` rows the search matches (one short index walk)."""
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(PROBE_SQL.format(table=quoted), [text, PROBE_ROWS])
        matched, read = cursor.fetchone()
    return matched / read if read else 0.0


def _newest_ids(rows: QuerySet, table: str, text: str, *, narrowed: bool) -> list[int]:
    """The ids of the newest `CANDIDATES` + 1 matching rows, by the path `path_for` chooses. A
    rare search reads the GIN index (`id * 1` is no indexed order: the planner reads the matches
    from the index and sorts them). A common one walks the primary key backwards; rows
    `narrowed` (an end user's records, a status, dates) are left to the planner, which weighs
    the walk against the other indexes (a requester's records, the open ones)."""
    path = path_for(table, text)
    if path == INDEX:
        ordered = rows.order_by((F("id") * 1).desc())
        return list(ordered.values_list("id", flat=True)[: CANDIDATES + 1])
    newest = rows.order_by("-id").values_list("id", flat=True)[: CANDIDATES + 1]
    if narrowed:
        return list(newest)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        try:
            return list(newest)
        finally:
            cursor.execute("SET LOCAL enable_bitmapscan = on")


def _narrow(rows: QuerySet, record_type, filters: Filters) -> QuerySet:
    if filters.status == OPEN:
        rows = rows.filter(status__in=record_type.open_statuses)
    elif filters.status == DONE:
        rows = rows.filter(status__in=record_type.done_statuses)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    tz = timezone.get_current_timezone()
    if filters.created_from:
        rows = rows.filter(
            created_at__gte=datetime.combine(filters.created_from, day_time.min, tzinfo=tz)
        )
    if filters.created_to:
        end = datetime.combine(filters.created_to + timedelta(days=1), day_time.min, tzinfo=tz)
        rows = rows.filter(created_at__lt=end)
    return rows


Key = tuple[str, int]  # (record type key, record id)
Found = dict[Key, tuple[float, Any, int | None, float]]  # rank, where, comment id, when


def _keep(found: Found, key: Key, rank: float, where, comment_id, when: float) -> None:
    if key not in found or found[key][0] < rank:
        found[key] = (rank, where, comment_id, when)


def _record_matches(record_type, visible: QuerySet, text: str, postgresql: bool, found: Found):
    """The type's records matching in their own text (number, title, description): the newest
    `CANDIDATES`, ranked. Returns whether there were more."""
    model = record_type.model_class
    key = record_type.key
    if postgresql:
        query = _query(text)
        vector = vector_for(model)
        rows = _newest_ids(
            visible.alias(document=vector).filter(document=query),
            model._meta.db_table,
            text,
            narrowed=bool(visible.query.where),
        )
        ranked = (
            model._default_manager.filter(id__in=rows[:CANDIDATES])
            .annotate(rank=SearchRank(vector, query, normalization=1))
            .values_list("id", "rank", "created_at")
        )
        for pk, rank, created_at in ranked:
            _keep(found, (key, pk), float(rank), WHERE_TEXT, None, created_at.timestamp())
        return len(rows) > CANDIDATES
    words = _words(text)
    matched = list(
        visible.filter(_like(words, ("number", "title", "description")))
        .order_by("-id")
        .values_list("id", "title", "description", "created_at")[: CANDIDATES + 1]
    )
    for pk, title, description, created_at in matched[:CANDIDATES]:
        rank = _like_rank(words, title, _plain(description))
        _keep(found, (key, pk), rank, WHERE_TEXT, None, created_at.timestamp())
    return len(matched) > CANDIDATES


def _comment_matches(user, visible: dict, text: str, postgresql: bool, found: Found) -> bool:
    """The replies (and, for staff, work notes) matching, on the records the person may see of
    the types searched: one query for every type. Staff searching without a filter read every
    record's comments (no join); an end user's comments are those of their own records (an
    indexed few), as are the comments of records narrowed by status or date."""
    staff = can_see_internal(user)
    types = {}
    condition = Q()
    walk = staff
    for key, rows in visible.items():
        model = registry.get(key).model_class
        content_type = ContentType.objects.get_for_model(model)
        types[content_type.pk] = key
        if rows.query.where or not staff:
            condition |= Q(content_type=content_type, object_id__in=rows.values("id"))
            walk = False
        else:
            condition |= Q(content_type=content_type)
    if not types:
        return False
    comments = Comment.objects.filter(condition, redacted_at__isnull=True)
    if not staff:
        comments = comments.filter(visibility=Visibility.PUBLIC)
    fields = ("id", "content_type_id", "object_id", "visibility", "created_at")
    if postgresql:
        query = _query(text)
        ids = _newest_ids(
            comments.alias(document=_comment_vector()).filter(document=query),
            Comment._meta.db_table,
            text,
            narrowed=not walk,
        )
        rows = list(
            Comment.objects.filter(id__in=ids[:CANDIDATES])
            .annotate(rank=SearchRank(_comment_vector(), query, normalization=1))
            .values_list(*fields, "rank")
        )
        more = len(ids) > CANDIDATES
    else:
        words = _words(text)
        matched = list(
            comments.filter(_like(words, ("body",)))
            .order_by("-id")
            .values_list(*fields, "body")[: CANDIDATES + 1]
        )
        rows = [(*row[:5], _like_rank(words, "", _plain(row[5]))) for row in matched]
        more = len(matched) > CANDIDATES
    for comment_id, content_type_id, object_id, visibility, created_at, rank in rows:
        # A reply or a note weighs a little less than the record's own text.
        where = WHERE_REPLY if visibility == Visibility.PUBLIC else WHERE_NOTE
        key = (types[content_type_id], object_id)
        _keep(found, key, float(rank) * 0.8, where, comment_id, created_at.timestamp())
    return more


def _record_hits(
    user, found: Found, keys: list[Key], text: str, postgresql: bool
) -> dict[Key, Hit]:
    """The hits of the records shown (one query per type among them), with their snippets."""
    by_type: dict[str, list[int]] = {}
    for type_key, pk in keys:
        by_type.setdefault(type_key, []).append(pk)
    records = {}
    fields = ("id", "number", "title", "description", "status", "created_at")
    for type_key, ids in by_type.items():
        record_type = registry.get(type_key)
        for record in record_type.model_class._default_manager.filter(id__in=ids).only(*fields):
            records[(type_key, record.pk)] = (record_type, record)
    bodies = {}
    if not postgresql:
        comment_ids = [c for c in (found[key][2] for key in keys) if c is not None]
        bodies = dict(Comment.objects.filter(id__in=comment_ids).values_list("id", "body"))
    hits: dict[Key, Hit] = {}
    words = _words(text)
    for key in keys:
        if key not in records:
            continue
        record_type, record = records[key]
        rank, where, comment_id, _when = found[key]
        hit = _record_hit(user, record_type, record, rank=rank)
        hit.where = where
        hit.comment_id = comment_id
        if not postgresql:
            source = (
                _plain(bodies.get(comment_id, ""))
                if comment_id
                else f"{record.title} — {_plain(record.description)}"
            )
            hit.snippet = _mark(_excerpt(source, words), words)
        hits[key] = hit
    return hits


def _record_hit(user, record_type, record, *, rank: float) -> Hit:
    labels = dict(record_type.model_class._meta.get_field("status").flatchoices)
    staff = can_see_internal(user)
    url_name = record_type.detail_url_name if staff else record_type.portal_page
    try:
        url = reverse(url_name, args=[record.number])
    except NoReverseMatch:
        url = reverse(registry.GENERIC_PORTAL_URL_NAME, args=[record.number])
    return Hit(
        kind=record_type.key,
        kind_label=record_type.name,
        title=record.title,
        url=url,
        rank=rank,
        number=record.number,
        status=record.status,
        status_label=labels.get(record.status, record.status),
        created_at=record.created_at,
    )


def _highlight_records(hits: list[Hit], text: str) -> None:
    """ts_headline for the record hits shown (one query per type, one for their comments)."""
    by_type: dict[str, list[Hit]] = {}
    comment_ids = []
    for hit in hits:
        comment_id = hit.comment_id
        if comment_id:
            comment_ids.append(comment_id)
        elif hit.number and not str(hit.snippet) and hit.kind not in OTHER_KINDS:
            by_type.setdefault(hit.kind, []).append(hit)
    for key, type_hits in by_type.items():
        model = registry.get(key).model_class
        table = connection.ops.quote_name(model._meta.db_table)
        headline = RawSQL(  # noqa: S611 - quoted table names, the text a parameter
            f"ts_headline('simple'::regconfig, {table}.title || ' — ' || "
            f"COALESCE({table}.description, ''), websearch_to_tsquery('simple'::regconfig, %s), "
            "%s)",
            [text, HEADLINE_OPTIONS],
        )
        shown = dict(
            model._default_manager.filter(number__in=[h.number for h in type_hits])
            .annotate(headline=headline)
            .values_list("number", "headline")
        )
        for hit in type_hits:
            hit.snippet = _safe_headline(shown.get(hit.number, ""))
    if comment_ids:
        headline = RawSQL(  # noqa: S611 - quoted table names, the text a parameter
            "ts_headline('simple'::regconfig, servicedesk_comment.body, "
            "websearch_to_tsquery('simple'::regconfig, %s), %s)",
            [text, HEADLINE_OPTIONS],
        )
        shown_comments = dict(
            Comment.objects.filter(id__in=comment_ids)
            .annotate(headline=headline)
            .values_list("id", "headline")
        )
        for hit in hits:
            comment_id = hit.comment_id
            if comment_id:
                hit.snippet = _safe_headline(shown_comments.get(comment_id, ""))


def _safe_headline(headline: str) -> SafeString:
    """ts_headline's text as plain text (the stored rich text's tags dropped, everything
    escaped) with only its own <mark>s kept."""
    text = (headline or "").replace("<mark>", "\x01").replace("</mark>", "\x02")
    escaped = escape(_plain(text))
    return mark_safe(  # noqa: S308 - escaped above, only the marks restored
        escaped.replace("\x01", "<mark>").replace("\x02", "</mark>")
    )


def _plain(html: str) -> str:
    """Rich text as plain text (tags dropped, entities decoded)."""
    return unescape(strip_tags(html or ""))


# --- CIs, articles and known errors ----------------------------------------------------------


def _others(user, text, filters, postgresql) -> list[Hit]:
    hits: list[Hit] = []
    staff = can_see_internal(user)
    words = _words(text)
    if staff and filters.wants(CI) and user.has_perm("cmdb.view_configurationitem"):
        hits += _configuration_items(text, words, postgresql)
    if filters.wants(ARTICLE):
        from knowledge.selectors import article_search

        for position, article in enumerate(article_search(text, user=user, limit=5)):
            url_name = "knowledge:detail" if staff else "portal:article"
            hits.append(
                Hit(
                    kind=ARTICLE,
                    kind_label=_("Knowledge article"),
                    title=article.title,
                    url=reverse(url_name, args=[article.pk]),
                    rank=float(getattr(article, "rank", 0.0) or 0.5 / (position + 1)),
                    snippet=_mark(_excerpt(article.summary, words), words),
                )
            )
    if staff and filters.wants(KNOWN_ERROR):
        from problems.kedb.selectors import can_read_known_errors, known_error_search

        if can_read_known_errors(user):
            problem_type = registry.get("problem")
            for match in known_error_search(user=user, text=text, limit=5):
                problem = match.problem
                hits.append(
                    Hit(
                        kind=KNOWN_ERROR,
                        kind_label=_("Known error"),
                        title=problem.title,
                        url=reverse(problem_type.detail_url_name, args=[problem.number]),
                        rank=min(float(match.score), 1.0),
                        number=problem.number,
                        snippet=_mark(_excerpt(problem.workaround, words), words),
                        where=_("Workaround"),
                        created_at=problem.created_at,
                    )
                )
    return hits


def _configuration_items(text: str, words: list[str], postgresql: bool) -> list[Hit]:
    from cmdb.models import ConfigurationItem

    rows = ConfigurationItem.objects.only("id", "name", "description", "status")
    if postgresql:
        query = _query(text)
        vector = RawSQL(
            "setweight(to_tsvector('simple'::regconfig, cmdb_configurationitem.name), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, "
            "COALESCE(cmdb_configurationitem.description, '')), 'B')",
            [],
            output_field=SearchVectorField(),
        )
        # A CI's name is often one token ("mail-01"): its words' prefixes match it too.
        prefix = Q(name__icontains=text)
        matches = (
            rows.alias(document=vector)
            .filter(Q(document=query) | prefix)
            .annotate(rank=SearchRank(vector, query, normalization=1))
            .order_by("-rank", "name")[:5]
        )
        found: list[tuple[Any, float]] = [(ci, float(ci.rank) or 0.5) for ci in matches]
    else:
        found = [
            (ci, _like_rank(words, ci.name, ci.description))
            for ci in rows.filter(_like(words, ("name", "description"))).order_by("name")[:5]
        ]
    return [
        Hit(
            kind=CI,
            kind_label=_("Configuration item"),
            title=ci.name,
            url=reverse("cmdb:ci_detail", args=[ci.pk]),
            rank=rank,
            status=ci.status,
            status_label=ci.get_status_display(),
            snippet=_mark(_excerpt(ci.description, words), words),
        )
        for ci, rank in found
    ]


# --- Words, LIKE and marks (the fallback, and the snippets of articles and CIs) --------------


def _words(text: str) -> list[str]:
    """The searched words (a quoted phrase as one), without websearch's operators."""
    words = []
    for phrase, word in re.findall(r'"([^"]+)"|(\S+)', text or ""):
        if phrase.strip():
            words.append(phrase.strip().lower())
        elif word.lower() != "or" and not word.startswith("-"):
            cleaned = word.strip(".,;:!?()[]{}'\"").lower()
            if cleaned:
                words.append(cleaned)
    return words[:12]


def _like(words: list[str], fields: tuple[str, ...]) -> Q:
    """Every word (or phrase) in one of the fields."""
    condition = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _like_rank(words: list[str], title: str, body: str) -> float:
    title, body = (title or "").lower(), (body or "").lower()
    score = sum(1.0 if w in title else 0.4 if w in body else 0.0 for w in words)
    return score / max(len(words), 1)


def _excerpt(text: str, words: list[str], width: int = 160) -> str:
    """About `width` characters of `text` around the first word found."""
    text = " ".join((text or "").split())
    lowered = text.lower()
    positions = [lowered.find(w) for w in words if w and lowered.find(w) >= 0]
    start = max(min(positions) - width // 3, 0) if positions else 0
    excerpt = text[start : start + width]
    return ("… " if start else "") + excerpt + (" …" if start + width < len(text) else "")


def _mark(text: str, words: list[str]) -> SafeString:
    """`text` escaped, the words marked."""
    escaped = str(escape(text or ""))
    marked = sorted({str(escape(w)) for w in words if w}, key=len, reverse=True)
    if marked:
        pattern = "|".join(re.escape(w) for w in marked)
        escaped = re.sub(f"({pattern})", r"<mark>\1</mark>", escaped, flags=re.IGNORECASE)
    return mark_safe(escaped)  # noqa: S308 - escaped above, only the marks added


__all__ = ["Filters", "Hit", "Results", "kind_choices", "number_hit", "search"]
