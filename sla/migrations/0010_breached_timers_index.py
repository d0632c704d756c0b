from django.db import migrations, models

from servicedesk.migration_ops import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("sla", "0009_fewer_indexes_on_bulk_writes"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="slatimer",
            index=models.Index(
                condition=models.Q(
                    ("breached_at__isnull", False), ("state__in", ["running", "paused"])
                ),
                fields=["content_type", "object_id"],
                name="sla_timer_breached_idx",
            ),
        ),
    ]
