"""`python -m bench.customfields`: the incident queue and the API list with custom fields, at
scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_NAME python -m bench.customfields

On a generated bench database (`python -m bench.generate`): defines three incident fields
(`bench_site`, a choice of 5; `bench_users`, a number; `bench_asset`, text) and gives every
incident a site and a number of users, and every other one an asset tag (one INSERT ... SELECT
each: ~2.5 values per incident), then measures in process (Django's test client as the demo
agent) the queue without custom fields, with two custom columns, filtered on a choice (a fifth
of the rows match), filtered on a rare number and on an asset tag (one row), and the API list
with `custom_fields`. Idempotent: the bench fields and their values are replaced on each run.
"""

import argparse


def plant(out) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from customfields.models import CustomField
    from incidents.models import Incident

    CustomField.objects.filter(name__startswith="bench_").delete()
    site = CustomField.objects.create(
        record_type="incident", name="bench_site", label="Site", field_type="choice",
        choices="Tehran\nLondon\nShanghai\nBerlin\nLagos", order=91,
    )  # fmt: skip
    users = CustomField.objects.create(
        record_type="incident", name="bench_users", label="Users affected", field_type="number",
        order=92,
    )  # fmt: skip
    asset = CustomField.objects.create(
        record_type="incident", name="bench_asset", label="Asset tag", field_type="text",
        max_length=20, order=93,
    )  # fmt: skip
    ct = ContentType.objects.get_for_model(Incident).pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customfields_fieldvalue (content_type_id, object_id, field_id, value_text, "
            "value_number, value_date, value_bool, value_ref, display, updated_at) "
            "SELECT %s, id, %s, "
            "(ARRAY['Tehran','London','Shanghai','Berlin','Lagos'])[1 + id %% 5], NULL, NULL, "
            "NULL, NULL, (ARRAY['Tehran','London','Shanghai','Berlin','Lagos'])[1 + id %% 5], "
            "now() FROM incidents_incident",
            [ct, site.pk],
        )
        cursor.execute(
            "INSERT INTO customfields_fieldvalue (content_type_id, object_id, field_id, value_text, "
            "value_number, value_date, value_bool, value_ref, display, updated_at) "
            "SELECT %s, id, %s, '', id %% 5000, "
            "NULL, NULL, NULL, (id %% 5000)::text, now() FROM incidents_incident",
            [ct, users.pk],
        )
        cursor.execute(
            "INSERT INTO customfields_fieldvalue (content_type_id, object_id, field_id, value_text, "
            "value_number, value_date, value_bool, value_ref, display, updated_at) "
            "SELECT %s, id, %s, 'LT-' || id, "
            "NULL, NULL, NULL, NULL, 'LT-' || id, now() FROM incidents_incident WHERE id %% 2 = 0",
            [ct, asset.pk],
        )
        cursor.execute("ANALYZE customfields_fieldvalue")
        cursor.execute("SELECT count(*) FROM customfields_fieldvalue")
        out(f"{cursor.fetchone()[0]:,} custom values planted")


def measure(*, requests: int, warmup: int, out) -> None:
    from django.test import Client

    from accounts.models import User
    from bench.endpoints import AGENT_EMAIL, _host
    from bench.endpoints import measure as timed
    from bench.env import estimated_rows
    from bench.report import markdown_table

    size = estimated_rows("incidents_incident")
    client = Client(raise_request_exception=False, HTTP_HOST=_host())
    client.force_login(User.objects.get(email=AGENT_EMAIL))
    even = 2 * (size // 4)

    def get(path):
        def send(i):
            return client.get(path), path

        return send

    cases = [
        ("queue (all), no custom fields", "/incidents/?queue=all"),
        ("queue (all), 2 custom columns", "/incidents/?queue=all&columns=bench_site&columns=bench_users"),
        ("queue (open), filter site=London", "/incidents/?queue=open&custom_field=bench_site&custom_value=London&columns=bench_users"),
        ("queue (all), filter site=London", "/incidents/?queue=all&custom_field=bench_site&custom_value=London&columns=bench_users"),
        ("queue (all), filter users=4321", "/incidents/?queue=all&custom_field=bench_users&custom_value=4321"),
        ("queue (all), filter asset tag (1 row)", f"/incidents/?queue=all&custom_field=bench_asset&custom_value=lt-{even}"),
        ("API list, page of 50 with custom_fields", "/api/v1/incidents/?page_size=50"),
        ("API list, filter site=Lagos", "/api/v1/incidents/?custom_field=bench_site&custom_value=Lagos"),
    ]  # fmt: skip
    rows = [
        timed(what, get(path), size=size, requests=requests, warmup=warmup, target="p95 < 300 ms")
        for what, path in cases
    ]
    out(markdown_table(rows))
    for row in rows:
        for sql, plan in row.plan_warnings:
            out(f"\nsequential scan in {row.what}:\n{sql[:300]}\n{plan}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.customfields", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-plant", action="store_true", help="measure the values already there")
    args = parser.parse_args(argv)
    from bench.env import configure, require_postgresql

    configure()
    require_postgresql()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: the manifest
    if not args.no_plant:
        plant(print)
    measure(requests=args.requests, warmup=args.warmup, out=print)


if __name__ == "__main__":
    main()
