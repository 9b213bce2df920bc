"""Recording attendance: complete, cancel (in time or late), no-show; each change kept in the
history with who made it (docs/quality.md, history).

Only a scheduled appointment gets an outcome, once; missed sessions feed the Bad Fit rules.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from backoffice.accounts.models import User
from backoffice.caseload.models import Client, Therapist
from backoffice.scheduling.models import (
    Appointment,
    AppointmentStatus,
    ConfirmedVia,
)
from backoffice.scheduling.services.bad_fit import bad_fit_evaluate
from backoffice.scheduling.services.booking import _as_user
from backoffice.scheduling.signals import appointment_outcome_recorded

S = AppointmentStatus
# The only moves between statuses; everything else is refused with a message.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.COMPLETED, S.CANCELLED, S.LATE_CANCELLED, S.NO_SHOW}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.LATE_CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}
# Outcomes that can only be recorded once the session has started.
AFTER_START_ONLY = frozenset({S.COMPLETED, S.NO_SHOW})


def _transition_check(appointment: Appointment, target: str, *, at: datetime) -> None:
    if target not in TRANSITIONS[appointment.status]:
        current = AppointmentStatus(appointment.status)
        if target == S.COMPLETED and current in (S.CANCELLED, S.LATE_CANCELLED):
            raise ValidationError(
                _("Appointment #%(pk)s was cancelled; a cancelled session cannot be completed.")
                % {"pk": appointment.pk}
            )
        raise ValidationError(
            _("Appointment #%(pk)s is already %(current)s; it cannot be marked %(target)s.")
            % {
                "pk": appointment.pk,
                "current": current.label.lower(),
                "target": AppointmentStatus(target).label.lower(),
            }
        )
    if target in AFTER_START_ONLY and at < appointment.starts_at:
        raise ValidationError(
            _("Appointment #%(pk)s starts %(start)s; it cannot be marked %(target)s before.")
            % {
                "pk": appointment.pk,
                "start": formats.localize(timezone.localtime(appointment.starts_at)),
                "target": AppointmentStatus(target).label.lower(),
            }
        )


def _locked(appointment: Appointment) -> Appointment:
    """Reload under a row lock, so two staff recording attendance at once do it in turn."""
    appointment.refresh_from_db(from_queryset=Appointment.objects.select_for_update())
    return appointment


def _record_status(
    appointment: Appointment, status: str, fields: dict, by: User | None
) -> Appointment:
    appointment.status = status
    for name, value in fields.items():
        setattr(appointment, name, value)
    _as_user(appointment, by)
    appointment.save(update_fields=["status", *fields])
    appointment_outcome_recorded.send(sender=Appointment, appointment=appointment, by=by)
    return appointment


@transaction.atomic
def appointment_complete(*, appointment: Appointment, by: User | None = None) -> Appointment:
    """Record that a scheduled session took place (only once it has started)."""
    _locked(appointment)
    _transition_check(appointment, S.COMPLETED, at=timezone.now())
    return _record_status(appointment, S.COMPLETED, {}, by)


@transaction.atomic
def appointment_confirm(
    *, appointment: Appointment, via: ConfirmedVia, by: User | None = None
) -> Appointment:
    """The client says they will come. Only a scheduled session that has not started; a second
    confirmation changes nothing (the first one's time and channel stay)."""
    _locked(appointment)
    if appointment.status != S.SCHEDULED or appointment.starts_at <= timezone.now():
        raise ValidationError(
            _("Appointment #%(pk)s can no longer be confirmed.") % {"pk": appointment.pk}
        )
    if appointment.confirmed_at is None:
        appointment.confirmed_at = timezone.now()
        appointment.confirmed_via = via
        _as_user(appointment, by)
        appointment.save(update_fields=["confirmed_at", "confirmed_via"])
    return appointment


def appointment_cancel_is_late(*, appointment: Appointment, cancelled_at: datetime) -> bool:
    """Late = less than LATE_CANCEL_WINDOW_HOURS before the start (exactly on it: in time)."""
    window = timedelta(hours=settings.LATE_CANCEL_WINDOW_HOURS)
    return appointment.starts_at - cancelled_at < window


def _cancel(
    appointment: Appointment,
    *,
    cancelled_at: datetime | None,
    missed_session_fee_amount: Decimal | None,
    by: User | None,
    evaluate_bad_fit: bool = True,
) -> Appointment:
    _locked(appointment)
    cancelled_at = cancelled_at or timezone.now()
    late = appointment_cancel_is_late(appointment=appointment, cancelled_at=cancelled_at)
    target = S.LATE_CANCELLED if late else S.CANCELLED
    _transition_check(appointment, target, at=cancelled_at)
    if missed_session_fee_amount is not None and not late:
        raise ValidationError(
            _("Appointment #%(pk)s is cancelled in time: no missed-session fee applies.")
            % {"pk": appointment.pk}
        )
    _record_status(
        appointment,
        target,
        {"cancelled_at": cancelled_at, "missed_session_fee_amount": missed_session_fee_amount},
        by,
    )
    if evaluate_bad_fit:
        bad_fit_evaluate(appointment=appointment)
    return appointment


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    cancelled_at: datetime | None = None,
    missed_session_fee_amount: Decimal | None = None,
    by: User | None = None,
) -> Appointment:
    """Cancel a scheduled appointment: in time, or late when within the window before it.

    `cancelled_at` (default now) is when the client cancelled. A missed-session fee is only
    accepted for a late cancellation. The Bad Fit rules are applied afterwards.
    """
    return _cancel(
        appointment,
        cancelled_at=cancelled_at,
        missed_session_fee_amount=missed_session_fee_amount,
        by=by,
    )


@transaction.atomic
def appointment_no_show(
    *,
    appointment: Appointment,
    missed_session_fee_amount: Decimal | None = None,
    by: User | None = None,
) -> Appointment:
    """Record that the client did not come and did not cancel; Bad Fit rules apply."""
    _locked(appointment)
    _transition_check(appointment, S.NO_SHOW, at=timezone.now())
    _record_status(
        appointment, S.NO_SHOW, {"missed_session_fee_amount": missed_session_fee_amount}, by
    )
    bad_fit_evaluate(appointment=appointment)
    return appointment


@transaction.atomic
def appointment_cancel_by_client(
    *, appointment: Appointment, client: Client, late_allowed: bool
) -> Appointment:
    """A client cancels a session they are in, themselves (a reply, a link, their page).

    In time it is an ordinary cancellation. Inside the late-cancellation window it is recorded
    as a late cancellation when `late_allowed` (an SMS reply: the client has told us they will
    not come), else refused with the clinic's number to call; the fee stays staff's decision.
    The Bad Fit rules apply either way."""
    if not appointment.clients.filter(pk=client.pk).exists():
        raise ValidationError(_("This session is not one of yours."))
    now = timezone.now()
    if appointment.status != S.SCHEDULED or appointment.starts_at <= now:
        raise ValidationError(
            _("Appointment #%(pk)s can no longer be cancelled.") % {"pk": appointment.pk}
        )
    if not late_allowed and appointment_cancel_is_late(appointment=appointment, cancelled_at=now):
        raise ValidationError(
            _(
                "Less than %(hours)d hours before the session, please call the clinic to cancel: "
                "a late-cancellation fee may apply."
            )
            % {"hours": settings.LATE_CANCEL_WINDOW_HOURS}
        )
    return _cancel(appointment, cancelled_at=now, missed_session_fee_amount=None, by=client.user)


# What a therapist may record in the portal; a cancellation's lateness is the rule's, not theirs.
PORTAL_OUTCOMES = (S.COMPLETED, S.CANCELLED, S.LATE_CANCELLED, S.NO_SHOW)


@transaction.atomic
def appointment_outcome_record(
    *,
    therapist: Therapist,
    appointment: Appointment,
    outcome: str,
    cancelled_at: datetime | None = None,
) -> Appointment:
    """A therapist records what happened at one of their own sessions, through the services
    staff use (same transitions, the late-cancellation window, the Bad Fit rules). A missed-
    session fee is staff's decision and is not set here. A cancellation says when the client
    cancelled (default now); calling it in time when the window says late, or the reverse, is
    refused with the reason."""
    if not Appointment.objects.filter(pk=appointment.pk, therapist=therapist).exists():
        raise ValidationError(_("This session is not one of yours."))
    if outcome not in PORTAL_OUTCOMES:
        raise ValidationError(_("Choose what happened at the session."))
    by = therapist.user
    if outcome == S.COMPLETED:
        return appointment_complete(appointment=appointment, by=by)
    if outcome == S.NO_SHOW:
        return appointment_no_show(appointment=appointment, by=by)
    cancelled_at = cancelled_at or timezone.now()
    if cancelled_at > timezone.now():
        raise ValidationError(_("The cancellation cannot be in the future."))
    late = appointment_cancel_is_late(appointment=appointment, cancelled_at=cancelled_at)
    if late != (outcome == S.LATE_CANCELLED):
        hours = settings.LATE_CANCEL_WINDOW_HOURS
        message = (
            _("Cancelled less than %(hours)d hours before the start: that is a late cancellation.")
            if late
            else _("Cancelled at least %(hours)d hours before the start: that is in time.")
        )
        raise ValidationError(message % {"hours": hours})
    return appointment_cancel(appointment=appointment, cancelled_at=cancelled_at, by=by)


@transaction.atomic
def appointment_series_cancel_rest(
    *,
    appointment: Appointment,
    cancelled_at: datetime | None = None,
    by: User | None = None,
) -> list[Appointment]:
    """Cancel this occurrence and every later scheduled one of its series.

    Only the first cancelled occurrence goes through the Bad Fit rules: withdrawing the
    rest of a series (a client ending therapy) is not a run of missed sessions.
    """
    if appointment.series_id is None:
        raise ValidationError(
            _("Appointment #%(pk)s is not part of a series.") % {"pk": appointment.pk}
        )
    rest = list(
        Appointment.objects.select_for_update()
        .filter(
            series_id=appointment.series_id,
            starts_at__gte=appointment.starts_at,
            status=AppointmentStatus.SCHEDULED,
        )
        .order_by("starts_at")
    )
    if not rest:
        raise ValidationError(
            _("Nothing left to cancel in the series of appointment #%(pk)s.")
            % {"pk": appointment.pk}
        )
    for position, occurrence in enumerate(rest):
        _cancel(
            occurrence,
            cancelled_at=cancelled_at,
            missed_session_fee_amount=None,
            by=by,
            evaluate_bad_fit=position == 0,
        )
    if appointment.pk == rest[0].pk:
        appointment.refresh_from_db()
    return rest
