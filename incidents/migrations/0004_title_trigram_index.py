"""A trigram index for the title search (`title__icontains` is `UPPER(title) LIKE '%...%'`).

PostgreSQL only: SQLite development databases are small enough to scan.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS inc_title_trgm_idx ON incidents_incident "
    "USING gin (UPPER(title) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS inc_title_trgm_idx"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_sort_indexes")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
