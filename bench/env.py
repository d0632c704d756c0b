"""The environment every benchmark runs in, set up before Django is imported.

Production-like settings (DEBUG off, Redis cache) with the bench's own data directory, cache
database and broker database, so a benchmark never mixes with a developer's running instance.
Anything already set in the environment wins.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/servicedesk_bench"
# Database 13 of the local Redis: the cache and the Celery queue of benchmark runs only.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"  # noqa: S105

_configured = False


def bench_environ() -> dict[str, str]:
    """The variables the bench sets when they are missing (also handed to gunicorn)."""
    return {
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
        "DATABASE_URL": DEFAULT_DATABASE_URL,
        "DEBUG": "False",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "SERVICEDESK_DATA_DIR": str(ROOT / "var" / "bench"),
        "REDIS_URL": DEFAULT_REDIS_URL,
        "CELERY_BROKER_URL": DEFAULT_REDIS_URL,
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }


def configure(*, broker: str | None = None) -> None:
    """Fill in the bench defaults and start Django. `broker` forces the Celery broker (the
    generator uses "memory://": the demo incidents it creates must not queue real e-mails)."""
    global _configured
    if _configured:
        return
    for key, value in bench_environ().items():
        os.environ.setdefault(key, value)
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    _configured = True


def database_name() -> str:
    from django.conf import settings

    return settings.DATABASES["default"]["NAME"]


def describe_database() -> str:
    """user@host:port/name, without any password."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    host = url.hostname or "localhost"
    port = f":{url.port}" if url.port else ""
    user = f"{url.username}@" if url.username else ""
    return f"{url.scheme}://{user}{host}{port}{url.path}"


def require_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit(
            f"The benchmarks need PostgreSQL; DATABASE_URL points at {connection.vendor}. "
            f"Try DATABASE_URL={DEFAULT_DATABASE_URL}"
        )


def estimated_rows(table: str) -> int:
    """pg_class.reltuples: the planner's row estimate, free at any size (no COUNT(*))."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table]
        )
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row and row[0] is not None else 0


def prepare_database(out=print) -> None:
    """Make sure DATABASE_URL is a migrated PostgreSQL database. A scratch database (its name
    contains "bench") is created and migrated when needed; any other is only checked."""
    import psycopg2
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.utils import OperationalError

    require_postgresql()
    name = database_name()
    scratch = "bench" in name
    try:
        connection.ensure_connection()
    except OperationalError as error:
        if "does not exist" not in str(error) or not scratch:
            raise SystemExit(f"Cannot connect to {describe_database()}: {error}") from None
        db = settings.DATABASES["default"]
        params = {
            "dbname": "postgres",
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
        }
        admin = psycopg2.connect(**{k: v for k, v in params.items() if v})
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        out(f"created database {name}")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan and scratch:
        out(f"applying {len(plan)} migrations to {name}")
        call_command("migrate", interactive=False, verbosity=0)
    elif plan:
        out(f"warning: {len(plan)} migrations are not applied to {name}")
