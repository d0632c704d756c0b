"""Checks behind /health/: can we reach the database, the cache and the Celery broker?"""

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from servicedesk.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def check_broker() -> None:
    with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


# Reports that name a failing part without failing the site (apps add theirs from ready(),
# e.g. the mailboxes): name -> f() -> {"ok": bool, ...}.
REPORTS: dict[str, Callable[[], dict]] = {}


def run_reports() -> dict[str, dict]:
    results = {}
    for name, report in REPORTS.items():
        try:
            results[name] = report()
        except Exception as error:  # noqa: BLE001 - a report that fails says so
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    return results


def run_checks() -> dict[str, dict]:
    """Run every check; each answers {"ok": bool, "ms": float} plus "error" when it failed."""
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means "not answering"
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results
