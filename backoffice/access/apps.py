from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_purge_flag(sender, connection, **kwargs):
    """SQLite has no session variables: the append-only trigger asks this connection whether
    the retention job is purging (`services.access_records_purge`). A connection without it
    (the sqlite3 shell) fails the trigger, so nothing else deletes."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "caseload_access_purge", 0, lambda: int(getattr(connection, "access_purge", False))
        )


class AccessConfig(AppConfig):
    """Who saw what: every view of a client's information, recorded for the privacy officer."""

    name = "backoffice.access"
    verbose_name = _("Access log")

    def ready(self):
        connection_created.connect(_sqlite_purge_flag, dispatch_uid="caseload_access_purge")
