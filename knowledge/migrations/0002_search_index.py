"""The full-text index of published articles (PostgreSQL only): the same expression as
`knowledge.selectors.VECTOR`, so the deflection search is an index scan."""

from django.db import migrations

from servicedesk.migration_ops import postgresql_only

CREATE = [
    "CREATE INDEX IF NOT EXISTS kb_article_search_idx ON knowledge_article USING gin ("
    "to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || COALESCE(keywords, '') "
    "|| ' ' || COALESCE(body, ''))) WHERE is_published"
]
DROP = ["DROP INDEX IF EXISTS kb_article_search_idx"]


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [postgresql_only(CREATE, DROP)]
