"""A session's reminders change when it is booked, moved, cancelled or gets a client: the save
hands the worker a job once the transaction commits (`messaging.worker.enqueue_after_commit`),
which plans that appointment's reminders again (`services.reminders_plan`). The periodic
planner catches what sends no signal (set-wise writes, a lost job)."""

from django.db.models.signals import m2m_changed, post_save

from backoffice.messaging.worker import enqueue_after_commit
from backoffice.reminders.services import REMINDERS_PLAN
from backoffice.scheduling.models import Appointment


def _appointment_saved(sender, instance, created, raw=False, **kwargs):
    # A new appointment is planned when its clients are added, just after (below).
    if raw or created:
        return
    enqueue_after_commit(REMINDERS_PLAN, instance.pk)


def _clients_changed(sender, instance, action, reverse, raw=False, **kwargs):
    # Booking adds the clients after the save; a client joining or leaving a group session.
    if raw or reverse or action not in ("post_add", "post_remove"):
        return
    enqueue_after_commit(REMINDERS_PLAN, instance.pk)


def connect() -> None:
    post_save.connect(_appointment_saved, sender=Appointment, dispatch_uid="reminders-appointment")
    m2m_changed.connect(
        _clients_changed, sender=Appointment.clients.through, dispatch_uid="reminders-clients"
    )
