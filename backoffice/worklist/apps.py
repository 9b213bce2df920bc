from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorklistConfig(AppConfig):
    """Staff's tasks, written by rules over the other apps' data (docs/architecture.md,
    Worklist)."""

    name = "backoffice.worklist"
    verbose_name = _("Worklist")

    def ready(self):
        from backoffice.worklist import events

        events.connect()
