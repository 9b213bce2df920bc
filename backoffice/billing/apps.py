from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "backoffice.billing"
    verbose_name = _("Billing")

    def ready(self):
        from backoffice.scheduling.signals import appointment_outcome_recorded

        appointment_outcome_recorded.connect(
            session_outcome_recorded, dispatch_uid="billing-session-payments"
        )


def session_outcome_recorded(sender, *, appointment, by=None, **kwargs):
    """A session paid ahead was cancelled or missed: its money follows what it now owes."""
    from backoffice.billing.services.payments import session_payment_follow_outcome

    if appointment.paid_at is not None:  # unpaid: no money to move, no query
        session_payment_follow_outcome(appointment=appointment, by=by)
