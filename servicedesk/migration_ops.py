"""Migration helpers shared by the apps."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


def postgresql_only(forward: list[str], backward: list[str]) -> migrations.RunPython:
    """Run raw SQL on PostgreSQL only (indexes and statistics SQLite has no use for)."""

    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(forward), run(backward))


def drop_foreign_key_index(
    model_name: str, name: str, field: Any
) -> migrations.SeparateDatabaseAndState:
    """A foreign key loses its own index (`db_index=False`, another index leads with its column):
    the model state changes as `AlterField` says, but the database only drops the index.
    Django's own AlterField would drop and re-add the constraint too, checking every row of a
    million-row table under an exclusive lock."""

    def forward(apps, schema_editor):
        table, _column, index = _names(apps, schema_editor, model_name, name)
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")

    def backward(apps, schema_editor):
        table, column, index = _names(apps, schema_editor, model_name, name)
        quote = schema_editor.quote_name
        schema_editor.execute(f"CREATE INDEX {quote(index)} ON {quote(table)} ({quote(column)})")

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name.split(".")[1], name, field)],
        database_operations=[migrations.RunPython(forward, backward)],
    )


def _names(apps, schema_editor, model_name: str, name: str) -> tuple[str, str, str]:
    """(table, column, the index Django gave the column) of `app_label.model`'s field."""
    model = apps.get_model(model_name)
    table = model._meta.db_table
    column = model._meta.get_field(name).column
    return table, column, schema_editor._create_index_name(table, [column], suffix="")


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL (a million-row table keeps taking writes while
    it builds; the migration must be `atomic = False`), a plain CREATE INDEX elsewhere
    (SQLite has no CONCURRENTLY and no concurrent writers to spare)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
