"""The full-text index of published articles (PostgreSQL only) on the stored search vector, now
that "published" is a status (the index of 0003 went with the `is_published` column)."""

from django.db import migrations

from servicedesk.migration_ops import postgresql_only

CREATE = [
    "DROP INDEX IF EXISTS kb_article_search_idx",
    "CREATE INDEX IF NOT EXISTS kb_article_search_idx ON knowledge_article "
    "USING gin (search_vector) WHERE status = 'published'",
]
DROP = ["DROP INDEX IF EXISTS kb_article_search_idx"]


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_review_workflow_versions_votes")]

    operations = [postgresql_only(CREATE, DROP)]
