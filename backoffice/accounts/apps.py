from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "backoffice.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Notes at each sign-in whether the session needs the second factor.
        from backoffice.accounts import middleware  # noqa: F401
