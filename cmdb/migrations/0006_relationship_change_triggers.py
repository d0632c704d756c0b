"""Tell every process when the relationship graph changed, whatever wrote it.

Impact analysis walks a copy of the relationships kept in each process's memory
(cmdb.graph.RelationshipGraph); it must be retired on any write to `cmdb_relationship`: a
service, an import, a bulk_create, a cascade, raw SQL or COPY. Triggers see them all.

- PostgreSQL: a statement trigger logs each writing transaction once in `cmdb_graphchange`
  (txid). Only inserts, so concurrent writers never wait for each other (one version row
  updated by every writer would make them take turns until each commits); a reader compares
  the log with what it saw when it loaded (see cmdb.graph).
- SQLite (one writer at a time): a row trigger draws a new random `cmdb_graphversion.version`.
"""

from django.db import migrations

POSTGRESQL = [
    """CREATE TABLE cmdb_graphchange (
        id bigserial PRIMARY KEY,
        txid bigint NOT NULL UNIQUE,
        changed_at timestamptz NOT NULL DEFAULT now()
    )""",
    """CREATE FUNCTION cmdb_graph_changed() RETURNS trigger LANGUAGE plpgsql AS $function$
    BEGIN
        INSERT INTO cmdb_graphchange (txid) VALUES (txid_current()) ON CONFLICT (txid) DO NOTHING;
        RETURN NULL;
    END
    $function$""",
    """CREATE TRIGGER cmdb_relationship_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cmdb_relationship
        FOR EACH STATEMENT EXECUTE FUNCTION cmdb_graph_changed()""",
]
POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS cmdb_relationship_changed ON cmdb_relationship",
    "DROP FUNCTION IF EXISTS cmdb_graph_changed()",
    "DROP TABLE IF EXISTS cmdb_graphchange",
]
SQLITE = [
    "CREATE TABLE cmdb_graphversion (id integer PRIMARY KEY, version integer NOT NULL)",
    "INSERT INTO cmdb_graphversion (id, version) VALUES (1, random())",
    *(
        f"""CREATE TRIGGER cmdb_relationship_{event.lower()} AFTER {event} ON cmdb_relationship
        BEGIN UPDATE cmdb_graphversion SET version = random() WHERE id = 1; END"""
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
SQLITE_BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS cmdb_relationship_{event}" for event in ("insert", "update", "delete")),
    "DROP TABLE IF EXISTS cmdb_graphversion",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0005_relationship_indexes"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_BACKWARDS, "sqlite": SQLITE_BACKWARDS}),
        )
    ]
