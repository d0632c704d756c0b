"""`python -m bench.search`: the search across everything at scale.

    python -m bench.search [--requests 40] [--warmup 5]

On the generated bench database (`python -m bench.generate --incidents 1000000`: ~2 comments per
incident) with the search migration applied, measures in process `search.selectors.search` as
the demo agent (every record type, comments and work notes, CIs, articles, known errors) and as
a requester (their own records' public text), p50/p95/max over `--requests` runs of each query:
a common word, two common words, a rare word, a word found only in work notes, a number, a
phrase, a common word narrowed to open records or to the last 30 days, and the whole page
(Django's test client: form, search, template).

The generated text comes from a small vocabulary where no word is rare, so the bench plants its
own: `--rare` (100) incidents get a rare word in their description and as many work notes one
in their text (idempotent: the same rows each run). Prints a markdown table (docs/performance.md,
"Search").
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

RARE_TITLE_WORD = "quokkafault"
RARE_NOTE_WORD = "narwhalpatch"


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def plant(*, rare: int, out) -> None:
    """A rare word in `rare` incidents' descriptions and in as many work notes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM incidents_incident WHERE search_vector @@ "
            "to_tsquery('simple', %s)",
            [RARE_TITLE_WORD],
        )
        if cursor.fetchone()[0] >= rare:
            return
        cursor.execute(
            "UPDATE incidents_incident SET description = description || %s "
            "WHERE id IN (SELECT id FROM incidents_incident ORDER BY id LIMIT %s OFFSET 1000)",
            [f"<p>Error code {RARE_TITLE_WORD} on the screen.</p>", rare],
        )
        cursor.execute(
            "UPDATE servicedesk_comment SET body = body || %s WHERE id IN (SELECT id FROM "
            "servicedesk_comment WHERE visibility = 'internal' ORDER BY id LIMIT %s OFFSET 5000)",
            [f"<p>Applied {RARE_NOTE_WORD} from the vendor.</p>", rare],
        )
    out(f"planted {RARE_TITLE_WORD!r} in {rare} incidents, {RARE_NOTE_WORD!r} in {rare} notes")


def measure(*, requests: int, warmup: int, out) -> None:
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from incidents.models import Incident
    from search.selectors import Filters, search

    agent = User.objects.get(email="agent@example.com")
    rng = random.Random(3)
    last = Incident.objects.order_by("-id").values_list("id", flat=True).first() or 1
    numbers = [
        f"INC{n:07d}" for n in (rng.randint(max(last - 1_000_000, 1), last) for _ in range(200))
    ]
    # Requesters: 40 picked at random (a median one has ~200 incidents at 1M), and the one who
    # has the most (the generator's volumes are skewed: ~54,000).
    people = list(User.objects.filter(email__startswith="user").values_list("pk", flat=True))
    requesters = [User.objects.get(pk=pk) for pk in rng.sample(people, min(40, len(people)))]
    heaviest = User.objects.get(
        pk=Incident.objects.values("requester_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("requester_id", flat=True)
        .first()
    )
    month_ago = (timezone.now() - timedelta(days=30)).date()
    cases = [
        ("a common word (agent)", agent, lambda i: "printer", None),
        ("two common words", agent, lambda i: "printer toner", None),
        ("a phrase", agent, lambda i: '"access denied"', None),
        ("a rare word (100 incidents)", agent, lambda i: RARE_TITLE_WORD, None),
        ("a word in work notes only (100)", agent, lambda i: RARE_NOTE_WORD, None),
        ("a word found nowhere", agent, lambda i: "xylophonic", None),
        ("a number", agent, lambda i: numbers[i % len(numbers)], None),
        ("a common word, open records", agent, lambda i: "password", Filters(status="open")),
        ("a common word, last 30 days", agent, lambda i: "mailbox",
         Filters(created_from=month_ago)),
        ("a common word (40 requesters)", requesters, lambda i: "printer", None),
        ("a rare word (40 requesters)", requesters, lambda i: RARE_NOTE_WORD, None),
        ("a common word (the busiest requester)", heaviest, lambda i: "printer", None),
    ]  # fmt: skip
    out("| Query | p50 | p95 | max | hits |")
    out("|---|---|---|---|---|")
    for label, user, text, filters in cases:
        timings = []
        hits = 0
        for i in range(warmup + requests):
            started = time.perf_counter()
            person = user[i % len(user)] if isinstance(user, list) else user
            results = search(user=person, text=text(i), filters=filters)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= warmup:
                timings.append(elapsed)
            hits = len(results.hits)
        out(
            f"| {label} | {statistics.median(timings):.1f} ms | "
            f"{_percentile(timings, 0.95):.1f} ms | {max(timings):.1f} ms | {hits} |"
        )
    client = Client()
    client.force_login(agent)
    url = reverse("search:search")
    timings = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        answer = client.get(url, {"q": "printer"})
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"the search page answered {answer.status_code}")
        if i >= warmup:
            timings.append(elapsed)
    out(
        f"| the page, a common word (agent) | {statistics.median(timings):.1f} ms | "
        f"{_percentile(timings, 0.95):.1f} ms | {max(timings):.1f} ms | 20 |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rare", type=int, default=100)
    args = parser.parse_args(argv)

    from bench.env import configure, describe_database, estimated_rows, prepare_database

    configure()
    prepare_database()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: the manifest
    print(f"database: {describe_database()}")
    print(
        f"{estimated_rows('incidents_incident'):,} incidents, "
        f"{estimated_rows('servicedesk_comment'):,} comments (estimated)"
    )
    plant(rare=args.rare, out=print)
    measure(requests=args.requests, warmup=args.warmup, out=print)


if __name__ == "__main__":
    main()
