"""`manage.py restore PATH --database-url URL`: a backup into a new, empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backoffice.operations.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into a new, empty database (a database "
        "holding any table is refused). Then point DATABASE_URL at it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--database-url",
            required=True,
            help="The empty database, e.g. postgres://caseload@db-host:5432/caseload_restored "
            "(leave the password out: PGPASSWORD or ~/.pgpass give it).",
        )

    def handle(self, *args, **options):
        try:
            restored = backup_restore(path=options["path"], database_url=options["database_url"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {restored.tables} tables, {restored.rows:,} rows")
