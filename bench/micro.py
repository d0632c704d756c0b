"""Micro-benchmarks of the shared kernel."""

import time

from bench.report import Measurement

PREFIX = "BENCHTMP"  # a temporary sequence of this session: the INC numbers keep no gaps


def record_numbers(*, seconds: float = 2.0, size: int = 0) -> Measurement:
    """servicedesk.numbering.next_record_number calls per second on one connection (each call
    is one `nextval` round trip in autocommit, as in a service's transaction)."""
    from django.db import connection

    from servicedesk.numbering import next_record_number, sequence_name

    result = Measurement(what="Record number generation (next_record_number)", size=size)
    if connection.vendor != "postgresql":
        result.note = "PostgreSQL only"
        return result
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY SEQUENCE IF NOT EXISTS {sequence_name(PREFIX)}")
    try:
        for _ in range(100):
            next_record_number(PREFIX)
        timings = []
        started = time.perf_counter()
        deadline = started + seconds
        while True:
            began = time.perf_counter()
            next_record_number(PREFIX)
            now = time.perf_counter()
            timings.append((now - began) * 1000)
            if now >= deadline:
                break
        rate = len(timings) / (time.perf_counter() - started)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence_name(PREFIX)}")
    result.timings_ms = timings
    result.queries = [1]
    result.throughput = f"{rate:,.0f} numbers/s"
    return result
