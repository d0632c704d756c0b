"""Finding clusters of recurring incidents: pure Python, no Django, so it is tested and timed on
its own (`bench.problem_candidates`).

The idea, in the words an agent reads on the candidates page:

1. **What is unusual.** The incidents of the *window* (the last few days) are counted per
   *facet*, a configuration item, a service or a category, and per word of their titles. A
   (facet, word) pair is *recurring* when it occurs at least `min_incidents` times in the window
   and at least `min_ratio` times as often as the *baseline* (the weeks before the window) would
   lead one to expect. Words every printer ticket carries ("printer") are not unusual on the
   printer service: its baseline has them too. They are on one printer that suddenly gets six.
2. **What belongs together.** Within one facet, two incidents are joined when their titles share
   at least `min_shared_words` of its recurring words; a cluster is a connected group.
3. **What holds.** A cluster keeps the words at least half its members share (its *common
   words*), drops members that share too few of them, and is kept when it still has
   `min_incidents` incidents from at least `min_requesters` different people, and when so many
   incidents with its top word would happen by chance at the baseline's rate at most
   `max_chance` of the time (a Poisson tail: four incidents where one is usual are chance 2% of
   the time, and are not proposed; four where none ever were are not chance).

Facets are tried from the most specific (configuration item) to the least (category); an
incident joins one cluster only. Each cluster says why it exists (`Cluster.reasons`): the facet,
the common words, how many incidents against how many expected, how many people, the time span.
"""

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

FACETS = ("configuration_item", "service", "category")
MIN_WORD = 3

# Words that say nothing about a fault. Kept short on purpose: the baseline already discounts
# what every ticket says.
STOP_WORDS = frozenset(
    str.split(
        "the and for with not but are was were has have had been can cannot cant could does did "
        "doesn don dont from into onto this that these those there their they them then than "
        "when what which who why how all any our your you yours mine its after before again "
        "since very too also just only still now new old please help need needs issue problem "
        "error yesterday today morning afternoon evening week weekend office site floor team "
        "whole working home every some more most less few lot lots get got getting keeps keep"
    )
)


@dataclass(frozen=True)
class Row:
    """One incident as the finder sees it."""

    id: int
    title: str
    requester_id: int
    created_at: datetime
    configuration_item: int | None = None
    service: int | None = None
    category: int | None = None


@dataclass(frozen=True)
class Settings:
    """What an administrator tunes (the admin's "problem candidate settings")."""

    window_days: float = 7
    baseline_days: float = 56
    min_incidents: int = 4
    min_requesters: int = 3
    min_ratio: float = 3.0
    max_chance: float = 0.0005
    min_shared_words: int = 2
    facets: tuple[str, ...] = FACETS


@dataclass
class Cluster:
    """A group of recurring incidents and why they were grouped."""

    facet: str
    value: int
    incident_ids: list[int]
    common_words: list[str]
    requesters: int
    first_at: datetime
    last_at: datetime
    expected: float  # incidents the baseline expects in the window with the top common word
    observed: int  # incidents in the window with it
    chance: float = 0.0  # how likely that many are by chance at the baseline's rate
    shared: dict[str, int | None] = field(default_factory=dict)  # facets every member shares

    @property
    def fingerprint(self) -> str:
        """The same recurring fault, however many incidents it has gathered since: its facet and
        its three most telling words. A dismissed fingerprint is never proposed again."""
        words = " ".join(sorted(self.common_words[:3]))
        return hashlib.sha1(  # noqa: S324 - a name for a group, not a secret
            f"{self.facet}:{self.value}:{words}".encode()
        ).hexdigest()

    def reasons(self) -> dict:
        """The explanation, as plain data (stored with the candidate, shown on its page)."""
        return {
            "facet": self.facet,
            "value": self.value,
            "shared": self.shared,
            "common_words": self.common_words,
            "incidents": len(self.incident_ids),
            "requesters": self.requesters,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "observed": self.observed,
            "expected": round(self.expected, 2),
            "chance": float(f"{self.chance:.2g}"),
        }


def words_of(text: str) -> set[str]:
    """The telling words of a title: lower case, three letters or more, no stop words."""
    found = re.findall(r"\w+", (text or "").lower())
    return {w for w in found if len(w) >= MIN_WORD and w not in STOP_WORDS and not w.isdigit()}


def find_clusters(
    window: Sequence[Row], baseline: Iterable[Row], settings: Settings = Settings()
) -> list[Cluster]:
    """The clusters among `window` incidents, judged against `baseline` (the incidents of the
    `settings.baseline_days` before the window). Largest clusters first."""
    words = {row.id: words_of(row.title) for row in window}
    expected = _expected_counts(baseline, settings)
    taken: set[int] = set()
    clusters: list[Cluster] = []
    for facet in settings.facets:
        by_value: dict[int, list[Row]] = defaultdict(list)
        for row in window:
            value = getattr(row, facet)
            if value is not None and row.id not in taken:
                by_value[value].append(row)
        for value, rows in by_value.items():
            if len(rows) < settings.min_incidents:
                continue
            for cluster in _clusters_of_facet(facet, value, rows, words, expected, settings):
                taken.update(cluster.incident_ids)
                clusters.append(cluster)
    by_id = {row.id: row for row in window}
    for cluster in clusters:
        members = [by_id[pk] for pk in cluster.incident_ids]
        cluster.shared = {
            facet: getattr(members[0], facet)
            for facet in FACETS
            if len({getattr(row, facet) for row in members}) == 1
            and getattr(members[0], facet) is not None
        }
    clusters.sort(key=lambda c: (-len(c.incident_ids), c.first_at))
    return clusters


def _expected_counts(baseline: Iterable[Row], settings: Settings) -> Counter:
    """(facet, value, word) -> incidents expected in a window, from the baseline's rate."""
    counts: Counter = Counter()
    for row in baseline:
        row_words = words_of(row.title)
        for facet in settings.facets:
            value = getattr(row, facet)
            if value is not None:
                for word in row_words:
                    counts[facet, value, word] += 1
    scale = settings.window_days / settings.baseline_days if settings.baseline_days else 0.0
    return Counter({key: count * scale for key, count in counts.items()})


def _clusters_of_facet(
    facet: str,
    value: int,
    rows: list[Row],
    words: dict[int, set[str]],
    expected: Counter,
    settings: Settings,
) -> list[Cluster]:
    in_window: Counter = Counter()
    for row in rows:
        in_window.update(words[row.id])
    recurring = {
        word
        for word, count in in_window.items()
        if count >= settings.min_incidents
        and count >= settings.min_ratio * max(expected[facet, value, word], 0.5)
    }
    if len(recurring) < settings.min_shared_words:
        return []
    # Join incidents sharing `min_shared_words` recurring words (union-find over word sets).
    parent: dict[int, int] = {}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    first_with: dict[tuple[str, ...], int] = {}
    for row in rows:
        signature = sorted(words[row.id] & recurring)
        if len(signature) < settings.min_shared_words:
            continue
        parent.setdefault(row.id, row.id)
        for combination in _combinations(signature, settings.min_shared_words):
            other = first_with.setdefault(combination, row.id)
            if other != row.id:
                parent[root(row.id)] = root(other)
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        if row.id in parent:
            groups[root(row.id)].append(row)
    found = []
    for members in groups.values():
        cluster = _cluster(facet, value, members, words, recurring, in_window, expected, settings)
        if cluster is not None:
            found.append(cluster)
    return found


def _combinations(items: list[str], size: int) -> Iterable[tuple[str, ...]]:
    from itertools import combinations

    # A title rarely has more than a dozen telling words; cap the pairs it makes all the same.
    return combinations(items[:12], size)


def _cluster(facet, value, members, words, recurring, in_window, expected, settings):
    if len(members) < settings.min_incidents:
        return None
    counts: Counter = Counter()
    for row in members:
        counts.update(words[row.id] & recurring)
    half = math.ceil(len(members) / 2)
    common = [w for w, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])) if n >= half]
    need = max(settings.min_shared_words, math.ceil(len(common) / 2))
    kept = [row for row in members if len(words[row.id] & set(common)) >= need]
    requesters = len({row.requester_id for row in kept})
    if len(kept) < settings.min_incidents or requesters < settings.min_requesters:
        return None
    top = common[0]
    chance = chance_of(in_window[top], expected[facet, value, top])
    if chance > settings.max_chance:
        return None
    return Cluster(
        facet=facet,
        value=value,
        incident_ids=sorted(row.id for row in kept),
        common_words=common,
        requesters=requesters,
        first_at=min(row.created_at for row in kept),
        last_at=max(row.created_at for row in kept),
        expected=expected[facet, value, top],
        observed=in_window[top],
        chance=chance,
    )


# The rate assumed where the baseline never saw the word on the facet (a quarter of an incident
# a window): without it, anything never seen before would never be chance.
MIN_RATE = 0.25


def chance_of(observed: int, expected: float) -> float:
    """How likely `observed` or more incidents are in a window where `expected` are usual: the
    Poisson tail P(X >= observed)."""
    rate = max(expected, MIN_RATE)
    term = math.exp(-rate)
    below = 0.0
    for k in range(observed):
        below += term
        term *= rate / (k + 1)
    return max(0.0, 1.0 - below)
