"""Yesterday's one DRF token per person becomes a hashed personal access token (same secret, so
clients keep working); the plain-text table of rest_framework.authtoken is then emptied."""

import hashlib

from django.db import migrations


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    AccessToken = apps.get_model("accounts", "AccessToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    AccessToken.objects.bulk_create(
        [
            AccessToken(
                user_id=user_id,
                name="API token",
                prefix=key[:10],
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
                scope="write",
                created_at=created,
            )
            for key, user_id, created in rows
        ],
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_security_tokens_sessions_two_factor")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
