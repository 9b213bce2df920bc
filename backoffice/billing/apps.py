from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "backoffice.billing"
    verbose_name = _("Billing")

    def ready(self):
        from backoffice.billing import admin_payments  # noqa: F401 - registers payment admin
