from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "backoffice.messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from anymail.signals import tracking

        from backoffice.messaging.webhooks import email_tracked

        tracking.connect(email_tracked, dispatch_uid="messaging-email-tracked")
