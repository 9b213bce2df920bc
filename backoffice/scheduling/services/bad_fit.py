"""The Bad Fit list's writes: clients added automatically on negative attendance, removed by
staff.

Rules (docs/rules.md, Bad Fit): two cancelled sessions in a row (in time or late), or one
no-show. One open entry per client per episode: further triggers join the open entry; once
staff remove the client, only appointments after that removal can start a new episode.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.accounts.models import User
from backoffice.scheduling.models import (
    CANCELLED_STATUSES,
    Appointment,
    AppointmentStatus,
    BadFitEntry,
    BadFitReason,
)
from backoffice.scheduling.selectors import session_before_in_bad_fit_episode


def bad_fit_evaluate(*, appointment: Appointment) -> BadFitEntry | None:
    """Apply the Bad Fit rules after `appointment`'s attendance was recorded.

    Returns the open entry the appointment now belongs to, or None when no rule fired.
    """
    if appointment.status == AppointmentStatus.NO_SHOW:
        return _record(appointment, BadFitReason.NO_SHOW, [appointment])
    if appointment.status not in CANCELLED_STATUSES:
        return None
    previous = session_before_in_bad_fit_episode(appointment=appointment)
    if previous is None or previous.status not in CANCELLED_STATUSES:
        return None
    return _record(appointment, BadFitReason.TWO_CANCELLATIONS, [previous, appointment])


def _record(
    appointment: Appointment, reason: BadFitReason, triggers: list[Appointment]
) -> BadFitEntry:
    client_id = appointment.billing_client_id
    entry = BadFitEntry.objects.filter(client_id=client_id, resolved_at__isnull=True).first()
    if entry is None:
        try:
            with transaction.atomic():
                entry = BadFitEntry.objects.create(
                    client_id=client_id, therapist_id=appointment.therapist_id, reason=reason
                )
        except IntegrityError:  # another request opened the episode first
            entry = BadFitEntry.objects.get(client_id=client_id, resolved_at__isnull=True)
    entry.appointments.add(*triggers)
    return entry


@transaction.atomic
def bad_fit_remove(*, entry: BadFitEntry, by: User, note: str) -> BadFitEntry:
    """Staff take a client off the list; the entry stays, closed, with who, when and why.

    Once only: removing an entry already removed is refused and keeps the first removal.
    """
    entry = BadFitEntry.objects.select_for_update().select_related("client").get(pk=entry.pk)
    if entry.resolved_at is not None:
        raise ValidationError(
            _("%(client)s was already removed from the list.") % {"client": entry.client}
        )
    entry.resolved_at = timezone.now()
    entry.resolved_by = by
    entry.resolution_note = note
    entry.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return entry
