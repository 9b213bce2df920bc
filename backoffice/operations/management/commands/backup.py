"""`manage.py backup`: the database to a file (and to BACKUP_BUCKET); docs/deploy.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backoffice.operations.backups import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Back up the database: pg_dump's custom format on PostgreSQL, a copy of the file on "
        "SQLite; uploaded to the S3 bucket BACKUP_BUCKET when that is set."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The backup file (default: BACKUP_DIR or var/backups/, "
            "caseload-<Vancouver date and time>.dump).",
        )

    def handle(self, *args, **options):
        try:
            backup = backup_write(output=options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written: {backup.path} ({backup.size:,} bytes)")
        if backup.uploaded_to:
            self.stdout.write(f"Uploaded to {backup.uploaded_to}")
