from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Clients' privacy requests (PIPEDA: access, correction, consent withdrawal) and the
    register of breaches of security safeguards (docs/security.md)."""

    name = "backoffice.privacy"
    verbose_name = _("Privacy")
