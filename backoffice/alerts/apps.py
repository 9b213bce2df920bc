from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    """What needs a therapist now, read from the other apps' data (docs/architecture.md,
    Alerts)."""

    name = "backoffice.alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from backoffice.alerts import events

        events.connect()
