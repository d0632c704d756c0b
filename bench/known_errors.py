"""`python -m bench.known_errors`: the known-error database at scale, and the candidate
finder's precision on clusters planted where they are known.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_NAME python -m bench.known_errors

On a copy of the generated bench database (1M incidents): adds `--known-errors` (50,000) known
errors and plants `--clusters` (40) clusters of recurring incidents in the finder's window
(each on one configuration item, service or category, 5-12 incidents from different people,
titles sharing three words), plus as many look-alikes that must not be proposed (one or two
people only, or three incidents only). Then measures, in process:

- the known-error search (`known_error_search`) for incident titles: p50/p95 over 50 queries;
- the incident page's known-error panel (`known_errors_for_incident`) for random incidents;
- the knowledge search the portal and the workspace use (`knowledge.selectors.article_search`)
  for the same titles, over `--articles` (50,000) generated articles, nine in ten published;
- the candidate finder over the window (`finder_rows` + `find_clusters`): time, and precision
  (found clusters that are mostly one planted cluster) and recall (planted clusters found).

Idempotent: planted rows carry numbers INCP…/PRB9… and are replaced on each run.
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

WORDS = str.split(
    "badge docking payroll scanner token plotter kiosk roster ledger gateway firmware "
    "hotdesk turnstile barcode webcam intranet archive voucher tablet projector "
    "signature invoice timesheet backup sharepoint dongle headset codec cluster replica "
    "thermal spooler uplink cabinet router screen pager locker camera"
)
FAULTS = str.split(
    "truncated frozen garbled rejected duplicated stuck blank flickering expired looping "
    "corrupted missing delayed unreadable misaligned overheating"
)


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _families(rng, n):
    families = set()
    while len(families) < n:
        a, b = rng.sample(WORDS, 2)
        families.add((a, b, rng.choice(FAULTS)))
    return list(families)


def _variants(family):
    a, b, fault = family
    return [
        f"{a.capitalize()} {b} {fault}",
        f"{b.capitalize()} {fault} on the {a}",
        f"{a.capitalize()}: {fault} {b} again",
    ]


def plant(*, clusters: int, known_errors: int, seed: int, out, articles: int = 0) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from incidents.models import Incident
    from problems.models import Problem

    rng = random.Random(seed)
    now = timezone.now()
    Incident.objects.filter(number__startswith="INCP").delete()
    Problem.objects.filter(number__startswith="PRB9").delete()
    requesters = list(
        User.objects.filter(email__startswith="user").values_list("pk", flat=True)[:2000]
    )
    facts = list(
        Incident.objects.filter(
            created_at__gte=now - timedelta(days=30), configuration_item__isnull=False
        ).values_list("category_id", "subcategory_id", "service_id", "configuration_item_id",
                      "support_group_id")[:5000]
    )  # fmt: skip
    families = _families(rng, clusters * 2)
    truth: dict[str, list[int]] = {}
    rows, labels = [], []
    number = 0

    def add(label, family, facet, size, people):
        nonlocal number
        category, subcategory, service, ci, group = rng.choice(facts)
        span = rng.uniform(1, 5)
        for i in range(size):
            number += 1
            rows.append(
                Incident(
                    number=f"INCP{number:06d}",
                    title=rng.choice(_variants(family)),
                    requester_id=people[i % len(people)],
                    status="new",
                    impact="medium",
                    urgency="medium",
                    priority=3,
                    category_id=category,
                    subcategory_id=subcategory if facet != "category" else subcategory,
                    service_id=service if facet in ("service", "configuration_item") else None,
                    configuration_item_id=ci if facet == "configuration_item" else None,
                    support_group_id=group,
                    created_at=now - timedelta(days=rng.uniform(0.2, 6.5 - span) + i * span / size),
                )
            )
            labels.append(label)

    for index in range(clusters):
        facet = ("configuration_item", "service", "category")[index % 3]
        size = rng.randint(5, 12)
        add(f"c{index}", families[index], facet, size, rng.sample(requesters, size))
    for index in range(clusters):
        family = families[clusters + index]
        if index % 2:
            add(f"d{index}", family, "configuration_item", 6, rng.sample(requesters, 2))
        else:
            add(f"d{index}", family, "configuration_item", 3, rng.sample(requesters, 3))
    with transaction.atomic():
        Incident.objects.bulk_create(rows, batch_size=1000)
    for row, label in zip(rows, labels, strict=True):
        truth.setdefault(label, []).append(row.pk)
    out(f"planted {clusters} clusters and {clusters} look-alikes: {len(rows)} incidents")

    titles = list(Incident.objects.order_by("?").values_list("title", flat=True)[:2000])
    cis = [f[3] for f in facts]
    services = [f[2] for f in facts]
    problems = []
    started = time.perf_counter()
    for n in range(known_errors):
        title = rng.choice(titles)
        problems.append(
            Problem(
                number=f"PRB9{n:06d}",
                title=f"{title} ({rng.choice(WORDS)} {rng.choice(FAULTS)})",
                symptoms=f"<p>{rng.choice(titles)}. {rng.choice(titles)}.</p>",
                workaround=f"<p>Restart the {rng.choice(WORDS)} and clear the "
                f"{rng.choice(WORDS)} cache; then {rng.choice(titles).lower()}.</p>",
                root_cause="<p>A defect.</p>",
                requester_id=rng.choice(requesters),
                status=rng.choice(["known_error"] * 4 + ["resolved", "closed"]),
                impact="medium",
                urgency="medium",
                priority=3,
                configuration_item_id=rng.choice(cis) if rng.random() < 0.5 else None,
                service_id=rng.choice(services),
                known_error_at=now - timedelta(days=rng.uniform(1, 900)),
            )
        )
    with transaction.atomic():
        Problem.objects.bulk_create(problems, batch_size=2000)
    from django.db import connection

    if articles:
        from knowledge.models import Article, refresh_search_vectors

        Article.objects.filter(title__startswith="KB bench ").delete()
        with transaction.atomic():
            Article.objects.bulk_create(
                (
                    Article(
                        title=f"KB bench {rng.choice(titles)}",
                        summary=rng.choice(titles),
                        body=f"<p>{rng.choice(titles)}. Restart the {rng.choice(WORDS)} and "
                        f"{rng.choice(titles).lower()}.</p>",
                        keywords=" ".join(rng.sample(WORDS, 2)),
                        status="published" if rng.random() < 0.9 else "draft",
                    )
                    for _ in range(articles)
                ),
                batch_size=2000,
            )
            refresh_search_vectors(Article.objects.filter(title__startswith="KB bench "))
        out(f"{articles:,} knowledge articles (nine in ten published)")

    # VACUUM, not only ANALYZE: each run deletes the rows the last one planted, and their dead
    # tuples stay in the GIN index until vacuumed (three runs left 150,100 beside 50,000 live
    # rows and made every search four to five times slower).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE problems_problem")
        cursor.execute("VACUUM ANALYZE knowledge_article")
        cursor.execute("VACUUM ANALYZE incidents_incident")
    out(f"{known_errors:,} known errors in {time.perf_counter() - started:.1f} s")
    return truth


def measure(*, truth: dict, requests: int, out) -> None:
    from accounts.models import User
    from incidents.models import Incident
    from problems.kedb import clustering, selectors
    from problems.kedb.models import CandidateSettings

    agent = User.objects.get(email="agent@example.com")
    rng = random.Random(1)
    sample = list(Incident.objects.order_by("-id")[:5000])
    incidents = rng.sample(sample, requests + 5)
    from knowledge.selectors import article_search

    timings = {"search": [], "panel": [], "article search": []}
    for i, incident in enumerate(incidents):
        started = time.perf_counter()
        selectors.known_error_search(user=agent, text=incident.title)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 5:
            timings["search"].append(elapsed)
        started = time.perf_counter()
        selectors.known_errors_for_incident(user=agent, incident=incident)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 5:
            timings["panel"].append(elapsed)
        started = time.perf_counter()
        article_search(incident.title, user=agent)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 5:
            timings["article search"].append(elapsed)
    for what, values in timings.items():
        out(
            f"| {'' if what.startswith('article') else 'known-error '}{what} | {statistics.median(values):.1f} ms | "
            f"{_percentile(values, 0.95):.1f} ms | {max(values):.1f} ms |"
        )

    settings_row = CandidateSettings.current()
    started = time.perf_counter()
    start, end, baseline_start = selectors.finder_periods(settings_row)
    window = selectors.finder_rows(start=start, end=end)
    baseline = selectors.finder_rows(start=baseline_start, end=start)
    loaded = time.perf_counter() - started
    found = clustering.find_clusters(window, baseline, selectors.finder_settings(settings_row))
    total = time.perf_counter() - started
    out(
        f"finder: {len(window):,} incidents in the window, {len(baseline):,} in the baseline; "
        f"read {loaded:.1f} s, total {total:.1f} s; {len(found)} clusters"
    )
    label_of = {pk: label for label, ids in truth.items() for pk in ids}
    true_found, matched = 0, set()
    for cluster in found:
        labels = [label_of.get(pk) for pk in cluster.incident_ids]
        best = max(set(labels), key=labels.count)
        if best and best.startswith("c") and labels.count(best) * 2 >= len(labels):
            true_found += 1
            matched.add(best)
    planted = [label for label in truth if label.startswith("c")]
    precision = true_found / len(found) if found else 0.0
    recall = len(matched) / len(planted) if planted else 0.0
    out(
        f"precision {precision:.2f} ({true_found} of {len(found)} proposed are planted clusters), "
        f"recall {recall:.2f} ({len(matched)} of {len(planted)} planted clusters found)"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.known_errors", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--known-errors", type=int, default=50_000)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--clusters", type=int, default=40)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)

    from bench.env import configure, describe_database, prepare_database

    configure(broker="memory://")
    print(f"database: {describe_database()}")
    prepare_database()
    truth = plant(
        clusters=args.clusters,
        known_errors=args.known_errors,
        articles=args.articles,
        seed=args.seed,
        out=print,
    )
    print("| What | p50 | p95 | max |\n|---|---|---|---|")
    measure(truth=truth, requests=args.requests, out=print)


if __name__ == "__main__":
    main()
