"""The full-text index of published articles (PostgreSQL only) on the stored search vector,
filled here for the articles that already exist."""

from django.db import migrations

from servicedesk.migration_ops import postgresql_only

CREATE = [
    "UPDATE knowledge_article SET search_vector = to_tsvector('simple'::regconfig, "
    "COALESCE(title, '') || ' ' || COALESCE(keywords, '') || ' ' || COALESCE(body, ''))",
    "CREATE INDEX IF NOT EXISTS kb_article_search_idx ON knowledge_article "
    "USING gin (search_vector) WHERE is_published",
]
DROP = ["DROP INDEX IF EXISTS kb_article_search_idx"]


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search_vector")]

    operations = [postgresql_only(CREATE, DROP)]
