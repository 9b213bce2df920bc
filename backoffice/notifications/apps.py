from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """What happened that concerns a staff member or a therapist: the bell's notifications and
    their emails (docs/architecture.md, Notifications)."""

    name = "backoffice.notifications"
    verbose_name = _("Notifications")
