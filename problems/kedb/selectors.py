"""Reads of the known-error database: searching known errors, the incident page's proposals,
the rows the candidate finder reads, the candidates page and the workaround KPI.

Who may read: `known_errors_visible_to(user)` is the problems' own visibility (staff who read
problems); end users get nothing, and the pages answer them 404.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Expression
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.models import Incident
from problems.choices import ProblemStatus
from problems.kedb import clustering
from problems.kedb.models import (
    CandidateIncident,
    CandidateSettings,
    CandidateStatus,
    ProblemCandidate,
    WorkaroundUse,
)
from problems.models import Problem
from problems.selectors import problems_visible_to
from servicedesk.fulltext import ranked_ids
from servicedesk.models import RecordLink

# A known error: a problem whose root cause and workaround are recorded (the known-error state),
# kept after its fix (resolved, closed) while its workaround is there for older incidents.
KEDB_STATES = (ProblemStatus.KNOWN_ERROR, ProblemStatus.RESOLVED, ProblemStatus.CLOSED)
SEARCH_CONFIG = "simple"
# PostgreSQL: the problem's title (weight A), symptoms (B) and workaround (C) as a tsvector the
# database generates and stores on every write (`problems_problem.kedb_vector`, migration 0003:
# not a model field, since SQLite has no such column), GIN-indexed for the known-error states.


class _KedbVector(Expression):
    """`kedb_vector` of the query's own problems table, under whatever alias it has there (a
    raw `"problems_problem"."kedb_vector"` inside a subquery would name the outer query's)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f'{compiler.quote_name_unless_alias(alias)}."kedb_vector"', []


VECTOR = _KedbVector()
MIN_WORD = 3
MAX_WORDS = 12
# How much a shared configuration item or service weighs beside the text's rank (about 0..1):
# a known error on the very CI comes first.
CI_BOOST = 2.0
SERVICE_BOOST = 0.3
# Words too common in tickets to say which known error is meant.
COMMON_WORDS = clustering.STOP_WORDS


def can_read_known_errors(user) -> bool:
    """Staff who read problems read the known errors; end users never do."""
    from problems.records import VIEW

    return bool(user.is_authenticated and user.has_perm(VIEW))


def known_errors_visible_to(user) -> QuerySet[Problem]:
    """The known errors the person may read (staff who read problems; nobody else)."""
    return (
        problems_visible_to(user)
        .filter(status__in=KEDB_STATES)
        .exclude(workaround="")
        .select_related("service", "configuration_item", "category")
    )


def search_words(text: str) -> list[str]:
    """The words of a search (lower case, three letters or more, common words left out)."""
    words = []
    for word in re.findall(r"\w+", (text or "").lower()):
        if len(word) >= MIN_WORD and word not in COMMON_WORDS and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


@dataclass
class Match:
    """A known error proposed for a search or an incident, with why."""

    problem: Problem
    score: float
    words: list[str]  # the searched words found in it
    same_ci: bool = False
    same_service: bool = False


def known_error_search(
    *,
    user,
    text: str,
    configuration_item_id: int | None = None,
    service_id: int | None = None,
    limit: int = 20,
) -> list[Match]:
    """The known errors best matching `text`, best first: full text over title (weighs most),
    symptoms and workaround; one on the given configuration item or service ranks higher, and
    those on the configuration item are proposed even without a matching word.

    PostgreSQL: an OR of the words' prefixes against the GIN-indexed vector, ranked with
    `ts_rank`. Other databases (SQLite in development): the words found in the title (twice
    the weight), the symptoms and the workaround.
    """
    words = search_words(text)
    rows = known_errors_visible_to(user)
    if not words and configuration_item_id is None:
        return []
    if connection.vendor == "postgresql":
        matches = _search_postgresql(rows, words, configuration_item_id, limit)
    else:
        matches = _search_words(rows, words, configuration_item_id)
    for match in matches:
        problem = match.problem
        match.same_ci = (
            configuration_item_id is not None
            and problem.configuration_item_id == configuration_item_id
        )
        match.same_service = service_id is not None and problem.service_id == service_id
        match.score += CI_BOOST * match.same_ci + SERVICE_BOOST * match.same_service
    matches.sort(key=lambda m: (-m.score, m.problem.pk))
    return matches[:limit]


def _search_postgresql(rows, words, configuration_item_id, limit) -> list[Match]:
    # The best matches are chosen on the problems table alone (their ids and ranks), then read
    # with their service, CI and category by id: the planner cannot tell how many rows a prefix
    # query matches (it guesses one), and joining those tables to every match before the sort
    # made nested loops over them (200 ms for 2,657 matches at 50,000 known errors).
    alone = rows.select_related(None)
    # Every word first (few rows to rank), then two of them, then any word, while too few are
    # found; the looser ones rank a capped number of the index's matches.
    scores = ranked_ids(
        alone, vector=VECTOR, words=words, config=SEARCH_CONFIG, limit=limit, take=limit * 3,
        normalization=1,
    )  # fmt: skip
    if configuration_item_id is not None:
        on_ci = alone.filter(configuration_item_id=configuration_item_id).order_by(
            "-known_error_at", "-id"
        )
        for pk in on_ci.values_list("pk", flat=True)[:limit]:
            scores.setdefault(pk, 0.0)
    if not scores:
        return []
    problems = rows.in_bulk(list(scores))
    return [
        Match(problems[pk], score, _words_in(problems[pk], words))
        for pk, score in scores.items()
        if pk in problems
    ]


def _search_words(rows, words, configuration_item_id) -> list[Match]:
    condition = Q()
    for word in words:
        condition |= (
            Q(title__icontains=word) | Q(symptoms__icontains=word) | Q(workaround__icontains=word)
        )
    if configuration_item_id is not None:
        condition |= Q(configuration_item_id=configuration_item_id)
    matches = []
    for problem in rows.filter(condition)[:500]:
        title = problem.title.lower()
        rest = f"{problem.symptoms} {problem.workaround}".lower()
        score = sum(2 if w in title else 1 if w in rest else 0 for w in words)
        matches.append(Match(problem, score / (2 * max(len(words), 1)), _words_in(problem, words)))
    return matches


def _words_in(problem: Problem, words: list[str]) -> list[str]:
    text = f"{problem.title} {problem.symptoms} {problem.workaround}".lower()
    return [w for w in words if w in text]


def known_errors_for_incident(*, user, incident: Incident, limit: int = 5) -> list[Match]:
    """What the incident page's known-error panel proposes: matches for the incident's title
    (and the start of its description), its configuration item and its service. Those the
    incident already had applied are marked on the page, not left out."""
    text = incident.title
    return known_error_search(
        user=user,
        text=text,
        configuration_item_id=incident.configuration_item_id,
        service_id=incident.service_id,
        limit=limit,
    )


def workarounds_applied(incident: Incident) -> set[int]:
    """The problems whose workaround the incident already got."""
    return set(WorkaroundUse.objects.filter(incident=incident).values_list("problem_id", flat=True))


# --- The candidate finder's reads -----------------------------------------------------------


def finder_settings(row: CandidateSettings) -> clustering.Settings:
    facets = tuple(
        facet
        for facet, on in (
            ("configuration_item", row.by_configuration_item),
            ("service", row.by_service),
            ("category", row.by_category),
        )
        if on
    )
    return clustering.Settings(
        window_days=row.window_days,
        baseline_days=row.baseline_days,
        min_incidents=row.min_incidents,
        min_requesters=row.min_requesters,
        min_ratio=float(row.min_ratio),
        max_chance=float(row.max_chance),
        min_shared_words=row.min_shared_words,
        facets=facets,
    )


FINDER_COLUMNS = (
    "id",
    "title",
    "requester_id",
    "created_at",
    "configuration_item_id",
    "service_id",
    "category_id",
    "subcategory_id",
)


def finder_rows(*, start: datetime, end: datetime) -> list[clustering.Row]:
    """The incidents created in [start, end) as the finder reads them (cancelled ones, often
    duplicates, left out); the category is the subcategory where there is one. One range scan
    of the creation index."""
    rows = (
        Incident.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=IncidentStatus.CANCELLED)
        .values_list(*FINDER_COLUMNS)
    )
    return [
        clustering.Row(
            id=pk,
            title=title,
            requester_id=requester,
            created_at=created,
            configuration_item=ci,
            service=service,
            category=subcategory or category,
        )
        for pk, title, requester, created, ci, service, category, subcategory in rows.iterator(
            chunk_size=5000
        )
    ]


def finder_periods(row: CandidateSettings, now: datetime | None = None):
    """(window start, now, baseline start)."""
    now = now or timezone.now()
    start = now - timedelta(days=row.window_days)
    return start, now, start - timedelta(days=row.baseline_days)


def covered_incident_ids(incident_ids) -> set[int]:
    """Those of the incidents already linked to a problem (either way, any kind of link)."""
    incident_type = ContentType.objects.get_for_model(Incident)
    problem_type = ContentType.objects.get_for_model(Problem)
    ids = list(incident_ids)
    covered = set(
        RecordLink.objects.filter(
            source_type=incident_type, target_type=problem_type, source_id__in=ids
        ).values_list("source_id", flat=True)
    )
    covered |= set(
        RecordLink.objects.filter(
            target_type=incident_type, source_type=problem_type, target_id__in=ids
        ).values_list("target_id", flat=True)
    )
    return covered


def candidate_ids_by_incident(incident_ids, *, status: str) -> dict[int, int]:
    """{incident id: candidate id} for the incidents in a candidate of that status."""
    return dict(
        CandidateIncident.objects.filter(
            incident_id__in=list(incident_ids), candidate__status=status
        ).values_list("incident_id", "candidate_id")
    )


# --- The candidates page ---------------------------------------------------------------------


def can_decide_candidates(user) -> bool:
    """Problem managers (and administrators) see and decide the candidates."""
    from problems.records import MANAGE

    return bool(user.is_authenticated and user.has_perm(MANAGE))


def candidates_visible_to(user) -> QuerySet[ProblemCandidate]:
    """Problem managers (who may accept or dismiss) see the candidates; nobody else."""
    if not can_decide_candidates(user):
        return ProblemCandidate.objects.none()
    return ProblemCandidate.objects.select_related("problem", "decided_by")


def candidate_list(*, user, status: str = CandidateStatus.PROPOSED):
    return candidates_visible_to(user).filter(status=status)


def candidate_incidents(candidate: ProblemCandidate) -> QuerySet[Incident]:
    return (
        Incident.objects.filter(
            Exists(CandidateIncident.objects.filter(candidate=candidate, incident=OuterRef("pk")))
        )
        .select_related("requester", "configuration_item", "service")
        .order_by("created_at", "id")
    )


def facet_names(candidates) -> dict[tuple[str, int], str]:
    """The names of the candidates' facets (CI, service, category): one query per kind."""
    from catalogue.models import Service
    from cmdb.models import ConfigurationItem
    from incidents.models import Category

    models = {"configuration_item": ConfigurationItem, "service": Service, "category": Category}
    wanted: dict[str, set[int]] = {}
    for candidate in candidates:
        for facet, value in [(candidate.facet, candidate.facet_value)] + list(
            (candidate.reasons.get("shared") or {}).items()
        ):
            if facet in models and value is not None:
                wanted.setdefault(facet, set()).add(value)
    names = {}
    for facet, ids in wanted.items():
        rows = models[facet]._default_manager.filter(pk__in=ids)
        if facet == "category":
            rows = rows.select_related("parent")
        for row in rows:
            names[facet, row.pk] = str(row)
    return names


# --- The KPI ----------------------------------------------------------------------------------


@dataclass
class WorkaroundShare:
    resolved: int
    by_workaround: int

    @property
    def share(self) -> float | None:
        return self.by_workaround / self.resolved if self.resolved else None


def workaround_share(*, start: datetime, end: datetime) -> WorkaroundShare:
    """Of the incidents resolved in [start, end), how many were resolved by a known workaround:
    a known error's workaround applied to them (`WorkaroundUse`) before they were resolved.
    Two counts over the resolved-at range."""
    resolved = Incident.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
    applied = WorkaroundUse.objects.filter(
        incident=OuterRef("pk"), applied_at__lte=OuterRef("resolved_at")
    )
    return WorkaroundShare(
        resolved=resolved.count(), by_workaround=resolved.filter(Exists(applied)).count()
    )
