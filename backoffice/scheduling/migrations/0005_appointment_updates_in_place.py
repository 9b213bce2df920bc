"""Appointments are updated in place (docs/quality.md, Finance import).

An appointment is written several times after it is booked: confirmed, completed or cancelled,
invoiced, paid. On PostgreSQL an update that changes no indexed column stays on its page (a
"HOT" update) and writes no index, if the page has room: the table keeps a fifth of each page
free. And the five single-column foreign key indexes go: the composite index leading with the
same column serves every lookup they served.
"""

import django.db.models.deletion
from django.db import migrations, models

FILLFACTOR = {
    True: "ALTER TABLE scheduling_appointment SET (fillfactor = 80)",
    False: "ALTER TABLE scheduling_appointment RESET (fillfactor)",
}


def _fillfactor(keep_room):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FILLFACTOR[keep_room])

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('caseload', '0011_renewal_documents_unguessable'),
        ('scheduling', '0004_appointment_confirmation'),
    ]

    operations = [
        migrations.RunPython(_fillfactor(True), _fillfactor(False)),
        migrations.AlterField(
            model_name='appointment',
            name='authorization',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='caseload.authorization', verbose_name='covering authorization'),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='billing_client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='billed_appointments', to='caseload.client', verbose_name='billing client'),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='room',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='scheduling.room', verbose_name='room'),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='series',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='appointments', to='scheduling.appointmentseries', verbose_name='series'),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='therapist',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='caseload.therapist', verbose_name='therapist'),
        ),
    ]
