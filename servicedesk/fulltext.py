"""PostgreSQL full-text queries for searches typed by people (the known-error database, the
knowledge base): the words as prefixes, from the strictest query to the loosest.

A ticket's title shares a common word with thousands of rows, and ranking reads each matching
row's stored vector (about 12 microseconds a row), so a search tries every word first, then two
of the words, then any word, while it has found too few; the two looser ones say they should be
capped (rank at most a thousand or so of the index's matches).

`ranked_ids` runs the tiers on one table alone and gives the best ids with their rank: the
caller reads its rows (and their relations) by id afterwards, since joining before the sort
made the planner loop over every match."""

from itertools import combinations
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import QuerySet

# Two of the words: pairs of the first few words (15 pairs for 6 words).
PAIR_WORDS = 6
# The most index matches a loose tier ranks.
MAX_RANKED = 1000


def prefix_tiers(words: list[str]) -> list[tuple[str, bool]]:
    """The raw tsquery texts to try in turn, each with whether it should be capped."""
    if not words:
        return []
    prefixes = [f"{w}:*" for w in words]
    if len(words) == 1:
        return [(prefixes[0], False)]
    tiers = [(" & ".join(prefixes), False)]
    if len(words) > 2:
        pairs = combinations(prefixes[:PAIR_WORDS], 2)
        tiers.append((" | ".join(f"({a} & {b})" for a, b in pairs), True))
    tiers.append((" | ".join(prefixes), True))
    return tiers


def ranked_ids(
    rows: QuerySet,
    *,
    vector: Any,
    words: list[str],
    config: str,
    limit: int,
    take: int | None = None,
    normalization: int | None = None,
) -> dict[int, float]:
    """{id: rank} of the best matches of `words` (as prefixes) among `rows`, in the order found:
    each tier's best `take` (default `limit`) by rank then id, the stricter tiers first, a looser
    one asked only while fewer than `limit` were found and ranking at most `MAX_RANKED` of the
    index's matches. `vector` is the stored tsvector (a field reference or an expression),
    ranked with `ts_rank` (and its `normalization`). PostgreSQL only."""
    scores: dict[int, float] = {}
    for text, capped in prefix_tiers(words):
        if len(scores) >= limit:
            break
        query = SearchQuery(text, config=config, search_type="raw")
        matching = rows.alias(fulltext=vector).filter(fulltext=query)
        if capped:
            # The index's first matches as they come: a model's default ordering here would
            # sort every match before the cap (articles by title: 400 ms for a common word).
            matching = rows.filter(pk__in=matching.order_by().values("pk")[:MAX_RANKED])
        rank = (
            SearchRank(vector, query)
            if normalization is None
            else SearchRank(vector, query, normalization=normalization)
        )
        best = matching.annotate(rank=rank).order_by("-rank", "id").values_list("pk", "rank")
        for pk, value in best[: take or limit]:
            scores.setdefault(pk, float(value))
    return scores
