"""The database itself keeps the access log append-only: UPDATE is always refused, DELETE unless
the retention job marked its transaction (PostgreSQL: SET LOCAL caseload.access_purge = 'on';
SQLite: the connection's caseload_access_purge() function, see access.apps). An ALTER of this
table that SQLite answers by rebuilding it drops its triggers: such a migration recreates them."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER access_accessrecord_no_update BEFORE UPDATE ON access_accessrecord
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
    """CREATE TRIGGER access_accessrecord_no_delete BEFORE DELETE ON access_accessrecord
    WHEN NOT caseload_access_purge()
    BEGIN SELECT RAISE(ABORT, 'only the retention job removes access records'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER access_accessrecord_no_update",
    "DROP TRIGGER access_accessrecord_no_delete",
]
POSTGRESQL = [
    """CREATE FUNCTION access_accessrecord_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'the access log is append-only';
        END IF;
        IF coalesce(current_setting('caseload.access_purge', true), '') <> 'on' THEN
            RAISE EXCEPTION 'only the retention job removes access records';
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER access_accessrecord_append_only BEFORE UPDATE OR DELETE
    ON access_accessrecord FOR EACH ROW EXECUTE FUNCTION access_accessrecord_append_only()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER access_accessrecord_append_only ON access_accessrecord",
    "DROP FUNCTION access_accessrecord_append_only()",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements[schema_editor.connection.vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
