"""The foreign keys' own indexes where another index leads with the same column: fewer index
entries written per alert (a repeat moves `last_seen_at`, so it is no HOT update). Only the
indexes are dropped; the foreign keys stay as they are (no re-validation of a large table)."""

import django.db.models.deletion
from django.db import migrations, models


INDEXES = [
    ("events_event_configuration_item_id_859a5d29", "events_event", "configuration_item_id"),
    ("events_event_incident_id_6993521a", "events_event", "incident_id"),
    ("events_event_source_id_8865a32a", "events_event", "source_id"),
    ("events_receipt_source_id_c1971d27", "events_receipt", "source_id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('cmdb', '0005_relationship_indexes'),
        ('events', '0001_initial'),
        ('incidents', '0010_scales_and_resolution_codes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='event',
                    name='configuration_item',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='cmdb.configurationitem', verbose_name='configuration item'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='incident',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='incidents.incident', verbose_name='incident'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='source',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='events.alertsource', verbose_name='source'),
                ),
                migrations.AlterField(
                    model_name='receipt',
                    name='source',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='events.alertsource'),
                ),
            ],
        ),
    ]
