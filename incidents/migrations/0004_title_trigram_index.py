"""A trigram index for the title search (`title__icontains` is `UPPER(title) LIKE '%...%'`).

PostgreSQL only: SQLite development databases are small enough to scan.
"""

from django.db import migrations

from servicedesk.migration_ops import postgresql_only

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS inc_title_trgm_idx ON incidents_incident "
    "USING gin (UPPER(title) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS inc_title_trgm_idx"]


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_sort_indexes")]

    operations = [postgresql_only(CREATE, DROP)]
