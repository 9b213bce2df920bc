from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """Appointment reminders by email and SMS, and the clients' answers to them
    (docs/architecture.md, Reminders)."""

    name = "backoffice.reminders"
    verbose_name = _("Reminders")

    def ready(self):
        from backoffice.reminders import events

        events.connect()
