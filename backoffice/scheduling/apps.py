from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "backoffice.scheduling"
    verbose_name = _("Scheduling")

    def ready(self):
        # The Bad Fit list's admin lives in its own module, beside the appointment admin.
        from backoffice.scheduling import admin_bad_fit  # noqa: F401
