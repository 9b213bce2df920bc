"""No double booking on PostgreSQL (docs/quality.md, No double booking): the database itself refuses a therapist or room double-booking.

btree_gist lets one GiST index compare the therapist (or room) by equality and the time range
by overlap. Cancelled, late-cancelled and no-show appointments free their time. SQLite has no
such constraint; scheduling.services checks the same rule there (and everywhere, first).
"""

from django.db import migrations

HOLDING = "status IN ('scheduled', 'completed')"
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_therapist_overlap "
    "EXCLUDE USING gist (therapist_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    f"WHERE ({HOLDING})",
    "ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_room_overlap "
    "EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    f"WHERE ({HOLDING} AND room_id IS NOT NULL)",
]
DROP = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_room_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_therapist_overlap",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_issue3_schema")]

    operations = [migrations.RunPython(_run_on_postgresql(CREATE), _run_on_postgresql(DROP))]
