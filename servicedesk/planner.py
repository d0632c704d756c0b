"""Short index walks kept serial on PostgreSQL.

The queue cards' capped counts and the queue pages are short keyset walks by design (101 or 51
rows along an index). For the breached queue the planner cannot know that nearly every open
incident has a breached clock (the two tables agree; its statistics are per table), so it
expects to walk the whole open-incident index to find 101 and plans two parallel workers:
starting them costs 25-100 ms on a loaded 2-core server, the walk itself under 1 ms.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def serial_plan(using: str = "default") -> Iterator[None]:
    """Run the block's queries on `using` without parallel workers (PostgreSQL; elsewhere a
    no-op). The setting ends with the block: with its transaction, or inside a caller's
    transaction set back at the end (or undone with the savepoint if the block fails)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
        if nested:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")
