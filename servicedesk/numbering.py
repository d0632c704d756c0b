"""Record numbers such as INC0001234: unique and increasing under any number of concurrent writers.

On PostgreSQL each prefix has its own sequence: `nextval` never blocks and never hands out a number
twice (a rolled-back transaction leaves a gap, as in every service desk). On SQLite, which
serialises writers anyway, a counter row per prefix is incremented inside the writer's transaction.
"""

from django.db import connection, migrations

NUMBER_DIGITS = 7


def sequence_name(prefix: str) -> str:
    return f"servicedesk_number_{prefix.lower()}"


def next_record_number(prefix: str) -> str:
    """Return the next number for `prefix`. The sequence must exist (see `number_sequence`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # to_regclass() is NULL for a missing sequence, and nextval(NULL) is NULL: a clear
            # LookupError below instead of an error that aborts the caller's transaction.
            cursor.execute("SELECT nextval(to_regclass(%s))", [sequence_name(prefix)])
        else:
            cursor.execute(
                "UPDATE servicedesk_numbercounter SET value = value + 1 WHERE prefix = %s "
                "RETURNING value",
                [prefix],
            )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise LookupError(
            f"No number sequence for prefix {prefix!r}: add number_sequence() to a migration."
        )
    return f"{prefix}{row[0]:0{NUMBER_DIGITS}d}"


def number_sequence(prefix: str) -> migrations.RunPython:
    """A migration operation that creates the number sequence of one record type."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(prefix)}")
        else:
            counter = apps.get_model("servicedesk", "NumberCounter")
            counter.objects.using(schema_editor.connection.alias).get_or_create(prefix=prefix)

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS {sequence_name(prefix)}")
        else:
            counter = apps.get_model("servicedesk", "NumberCounter")
            counter.objects.using(schema_editor.connection.alias).filter(prefix=prefix).delete()

    return migrations.RunPython(create, drop)


def reserve_record_numbers(prefix: str, count: int) -> list[str]:
    """Take `count` consecutive numbers for `prefix` at once (bulk loads, e.g. `load_demo`'s
    history); records created afterwards continue after the last one."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(to_regclass(%s), nextval(to_regclass(%s)) + %s - 1)",
                [sequence_name(prefix), sequence_name(prefix), count],
            )
        else:
            cursor.execute(
                "UPDATE servicedesk_numbercounter SET value = value + %s WHERE prefix = %s "
                "RETURNING value",
                [count, prefix],
            )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise LookupError(
            f"No number sequence for prefix {prefix!r}: add number_sequence() to a migration."
        )
    first = row[0] - count + 1
    return [f"{prefix}{value:0{NUMBER_DIGITS}d}" for value in range(first, row[0] + 1)]
