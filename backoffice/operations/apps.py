from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running Caseload: the health check, the workers' heartbeat, what is pending, backups."""

    name = "backoffice.operations"
    verbose_name = _("Operations")
