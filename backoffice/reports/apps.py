from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Staff reports in the admin: the week view and room utilization. No models of its own:
    it reads scheduling's."""

    name = "backoffice.reports"
    verbose_name = _("Reports")
