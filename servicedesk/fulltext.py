"""PostgreSQL full-text queries for searches typed by people (the known-error database, the
knowledge base): the words as prefixes, from the strictest query to the loosest.

A ticket's title shares a common word with thousands of rows, and ranking reads each matching
row's stored vector (about 12 microseconds a row), so a search tries every word first, then two
of the words, then any word, while it has found too few; the two looser ones say they should be
capped (rank at most a thousand or so of the index's matches)."""

from itertools import combinations

# Two of the words: pairs of the first few words (15 pairs for 6 words).
PAIR_WORDS = 6


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
