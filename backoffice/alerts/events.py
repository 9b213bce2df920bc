"""An authorization may reach its last approved session when a session under it gets its
outcome (or is edited), or when the authorization itself changes: the save hands the worker
a job once the transaction commits (`messaging.worker.enqueue_after_commit`), which emails the
therapist (`services.alerts_last_session_send`). The receivers only name the authorization,
as the worklist's events do; domain apps never import alerts. An hourly run catches what
sends no save signal (set-wise writes)."""

from django.db.models.signals import post_save

from backoffice.alerts.services import ALERTS_LAST_SESSION
from backoffice.caseload.models import Authorization
from backoffice.messaging.worker import enqueue_after_commit
from backoffice.scheduling.models import Appointment, AppointmentStatus


def _appointment_saved(sender, instance, raw=False, **kwargs):
    # Recording an outcome saves the appointment; a scheduled session uses no approval.
    if raw or instance.authorization_id is None or instance.status == AppointmentStatus.SCHEDULED:
        return
    enqueue_after_commit(ALERTS_LAST_SESSION, instance.authorization_id)


def _authorization_saved(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures being loaded
        return
    enqueue_after_commit(ALERTS_LAST_SESSION, instance.pk)


def connect() -> None:
    post_save.connect(_appointment_saved, sender=Appointment, dispatch_uid="alerts-appointment")
    post_save.connect(
        _authorization_saved, sender=Authorization, dispatch_uid="alerts-authorization"
    )
