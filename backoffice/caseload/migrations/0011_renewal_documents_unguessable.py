import re
import secrets
from pathlib import PurePath

from django.core.files.storage import default_storage
from django.db import migrations, models

import backoffice.documents.storage

UNGUESSABLE = re.compile(r"renewals/[\w-]{32}(\.\w+)?")


def rename_renewal_documents(apps, schema_editor):
    """Documents uploaded under their own names (renewals/<year>/<month>/<name>) move to a
    random name, as new uploads get."""
    Authorization = apps.get_model("caseload", "Authorization")
    uploaded = Authorization.objects.exclude(renewal_document="").only("renewal_document")
    for authorization in uploaded.iterator():
        old = authorization.renewal_document.name
        if UNGUESSABLE.fullmatch(old) or not default_storage.exists(old):
            continue
        extension = PurePath(old).suffix.casefold()
        with default_storage.open(old, "rb") as stored:
            new = default_storage.save(f"renewals/{secrets.token_urlsafe(24)}{extension}", stored)
        Authorization.objects.filter(pk=authorization.pk).update(renewal_document=new)
        default_storage.delete(old)


class Migration(migrations.Migration):
    dependencies = [
        ("caseload", "0010_client_consent_and_contact"),
    ]

    operations = [
        migrations.AlterField(
            model_name="authorization",
            name="renewal_document",
            field=models.FileField(
                blank=True,
                upload_to=backoffice.documents.storage.UnguessableUpload("renewals"),
                verbose_name="renewal document",
            ),
        ),
        migrations.RunPython(rename_renewal_documents, migrations.RunPython.noop),
    ]
