"""`python -m bench.tags`: the incident queue filtered by a tag, at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_NAME python -m bench.tags

On a copy of the generated bench database (migrated, so the tag tables exist): plants tags with
SQL (idempotent: the `bench-` tags are replaced on each run): `bench-common` on 1 % of the
incidents, `bench-rare` on 20, and 50 other tags spread over a fifth of them (one each), then
measures in process, as the demo agent, the queue page "All incidents" filtered by each tag
(newest first, the default sort), the same filter on the API's list, and the record page's
tags card. Prints one markdown table (docs/performance.md's columns) and the plan of the
slowest query of each.
"""

import argparse
import time

AGENT_EMAIL = "agent@example.com"


def plant(out=print) -> int:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from incidents.models import Incident

    content_type = ContentType.objects.get_for_model(Incident).pk
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM replies_tag WHERE name LIKE 'bench-%%'")
        cursor.execute(
            "INSERT INTO replies_tag (name, created_at) SELECT 'bench-' || s, now() FROM "
            "unnest(ARRAY['common', 'rare'] || ARRAY(SELECT 't' || g FROM generate_series(0, 49) g)) s"
        )
        cursor.execute("SELECT name, id FROM replies_tag WHERE name LIKE 'bench-%%'")
        ids = dict(cursor.fetchall())
        cursor.execute(
            "INSERT INTO replies_taggedrecord (tag_id, content_type_id, object_id, created_at) "
            "SELECT %s, %s, id, now() FROM incidents_incident WHERE id %% 100 = 7",
            [ids["bench-common"], content_type],
        )
        cursor.execute(
            "INSERT INTO replies_taggedrecord (tag_id, content_type_id, object_id, created_at) "
            "SELECT %s, %s, id, now() FROM incidents_incident ORDER BY id DESC OFFSET 5000 LIMIT 20",
            [ids["bench-rare"], content_type],
        )
        spread = [ids[f"bench-t{n}"] for n in range(50)]
        cursor.execute(
            "INSERT INTO replies_taggedrecord (tag_id, content_type_id, object_id, created_at) "
            "SELECT (%s::bigint[])[1 + (id / 5) %% 50], %s, id, now() FROM incidents_incident "
            "WHERE id %% 5 = 0",
            [spread, content_type],
        )
        cursor.execute("SELECT count(*) FROM replies_taggedrecord")
        total = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE replies_tag")
        cursor.execute("ANALYZE replies_taggedrecord")
    out(f"Planted tags: {total} tagged rows in {time.perf_counter() - started:.1f} s")
    return total


def main(argv=None) -> None:
    from bench.env import configure

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-plant", action="store_true")
    args = parser.parse_args(argv)
    configure()

    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from bench.endpoints import _host, explain_analyze, measure
    from bench.env import estimated_rows
    from bench.report import markdown_table
    from incidents.models import Incident

    call_command("collectstatic", interactive=False, verbosity=0)
    if not args.no_plant:
        plant()
    size = estimated_rows("incidents_incident")
    agent = User.objects.get(email=AGENT_EMAIL)
    client = Client(raise_request_exception=False, HTTP_HOST=_host())
    client.force_login(agent)
    numbers = list(Incident.objects.order_by("-id").values_list("number", flat=True)[:200])

    def get(path_for):
        def send(i):
            path = path_for(i)
            return client.get(path), path

        return send

    rows = []
    for what, path_for, target in (
        ("Queue, tag on 1 %", lambda i: "/incidents/?queue=all&tag=bench-common", "p95 < 300 ms"),
        ("Queue, tag on 20", lambda i: "/incidents/?queue=all&tag=bench-rare", "p95 < 300 ms"),
        (
            "Queue, tag on 20 %/50",
            lambda i: f"/incidents/?queue=all&tag=bench-t{i % 50}",
            "p95 < 300 ms",
        ),
        ("API list, tag on 1 %", lambda i: "/api/v1/incidents/?tag=bench-common", "p95 < 300 ms"),
        (
            "Tags card",
            lambda i: f"/replies/records/{numbers[i % len(numbers)]}/panel/",
            "p95 < 100 ms",
        ),
    ):
        result = measure(what, get(path_for), size=size, requests=args.requests,
                         warmup=args.warmup, target=target)  # fmt: skip
        rows.append(result)
    print(markdown_table(rows))
    for result in rows:
        if result.slowest_sql:
            print(f"\n### {result.what}: slowest query ({result.slowest_sql_ms:.1f} ms)\n")
            print("```\n" + explain_analyze(result.slowest_sql) + "\n```")


if __name__ == "__main__":
    main()
