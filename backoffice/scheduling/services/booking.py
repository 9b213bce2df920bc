"""Booking and moving appointments, one at a time or as a series; a therapist or a room is
never double-booked (docs/quality.md, double booking).

Every write is one transaction. Conflicts are checked here first, in Python, on every
database; on PostgreSQL the exclusion constraints of migration 0003 are the last guard
against two bookings racing, and their IntegrityError becomes the same ValidationError.
History is recorded by simple-history on each save (`by` becomes the history user).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.accounts.models import User
from backoffice.caseload.models import Authorization, Client, ClientKind, ServiceType, Therapist
from backoffice.caseload.selectors import payer_rate_in_force
from backoffice.scheduling.models import (
    TIME_HOLDING_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    Attendance,
    Frequency,
    Room,
    RoomReservation,
)
from backoffice.scheduling.selectors import (
    appointments_overlapping,
    authorization_covering,
    room_reservations_of,
)

Interval = tuple[datetime, datetime]

# A series of two years of weekly sessions at most: a typo in "repeat until" stops here.
MAX_SERIES_OCCURRENCES = 104

DEADLOCK_DETECTED = "40P01"
OVERLAP_CONSTRAINTS = ("appointment_no_therapist_overlap", "appointment_no_room_overlap")


@dataclass(frozen=True)
class BookingResult:
    """A saved appointment and what staff should know about it (booking still done)."""

    appointment: Appointment
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SeriesBookingResult:
    series: AppointmentSeries
    appointments: list[Appointment]
    warnings: list[str] = field(default_factory=list)


def appointment_participants_ensure(*, appointment: Appointment) -> None:
    """The billing client is always one of the clients seen."""
    appointment.clients.add(appointment.billing_client_id)


# --- checks -------------------------------------------------------------------------------


def _when(starts_at: datetime, ends_at: datetime) -> str:
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def _reservation_covers(
    reservations: Iterable[RoomReservation], starts_at: datetime, ends_at: datetime
) -> bool:
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if end.date() != start.date():
        return False
    day = start.date()
    return any(
        block.weekday == day.weekday()
        and block.start_time <= start.time()
        and end.time() <= block.end_time
        and block.valid_from <= day
        and (block.valid_until is None or day <= block.valid_until)
        for block in reservations
    )


def _slot_problems(
    *,
    therapist: Therapist,
    room: Room | None,
    intervals: list[Interval],
    exclude_pks: tuple[int, ...] = (),
) -> dict[int, list[str]]:
    """For each interval (by index) that cannot be booked, why: conflicts, no reservation."""
    others = appointments_overlapping(
        intervals=intervals,
        therapist_id=therapist.pk,
        room_id=room.pk if room else None,
        exclude_pks=exclude_pks,
    )
    reservations = room_reservations_of(therapist_id=therapist.pk, room_id=room.pk) if room else []
    problems: dict[int, list[str]] = {}
    for index, (starts_at, ends_at) in enumerate(intervals):
        reasons = []
        for other in others:
            if not (other.starts_at < ends_at and other.ends_at > starts_at):
                continue
            when = _when(other.starts_at, other.ends_at)
            if other.therapist_id == therapist.pk:
                reasons.append(
                    _("%(therapist)s is already booked %(when)s (appointment #%(pk)s).")
                    % {"therapist": other.therapist, "when": when, "pk": other.pk}
                )
            if room and other.room_id == room.pk:
                reasons.append(
                    _("Room %(room)s is already booked %(when)s (appointment #%(pk)s).")
                    % {"room": other.room, "when": when, "pk": other.pk}
                )
        if room and not _reservation_covers(reservations, starts_at, ends_at):
            reasons.append(
                _("%(therapist)s has no reservation of room %(room)s covering %(when)s.")
                % {"therapist": therapist, "room": room, "when": _when(starts_at, ends_at)}
            )
        if reasons:
            problems[index] = reasons
    return problems


def appointment_slot_check(*, appointment: Appointment) -> None:
    """Refuse an appointment whose therapist or room is taken, or whose room isn't reserved.

    The appointment may be unsaved or modified in memory; it never conflicts with itself.
    Cancelled ones hold no time, so they are not checked.
    """
    if appointment.status not in TIME_HOLDING_STATUSES:
        return
    room = appointment.room if appointment.attendance == Attendance.IN_PERSON else None
    problems = _slot_problems(
        therapist=appointment.therapist,
        room=room,
        intervals=[(appointment.starts_at, appointment.ends_at)],
        exclude_pks=(appointment.pk,) if appointment.pk else (),
    )
    if problems:
        raise ValidationError(problems[0])


def _save_guarded(appointment: Appointment, **save_kwargs) -> None:
    """Save; a PostgreSQL overlap refusal becomes the ValidationError the Python check gives."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                appointment.save(**save_kwargs)
            return
        except OperationalError as error:
            # Two inserts into one exclusion constraint can wait on each other; PostgreSQL
            # aborts one as a deadlock. Saving again waits for the winner, then meets its row.
            if attempt == 2 or getattr(error.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
        except IntegrityError as error:
            if not any(name in str(error) for name in OVERLAP_CONSTRAINTS):
                raise
            # The other booking has committed by now, so the check can name it.
            appointment_slot_check(appointment=appointment)
            raise ValidationError(
                _("This time was just booked by someone else; reload and choose another.")
            ) from error


def _fill_defaults(appointment: Appointment, *, link_authorization: bool = True) -> list[str]:
    """Link the covering authorization (indirect clients) and set the default fee if empty."""
    warnings = []
    day = timezone.localdate(appointment.starts_at)
    client = appointment.billing_client
    if client.kind == ClientKind.INDIRECT:
        if appointment.authorization_id is None and link_authorization:
            appointment.authorization = authorization_covering(
                client_id=client.pk, on=day, exclude_appointment_pk=appointment.pk
            )
            if appointment.authorization is None:
                warnings.append(
                    _("No authorization of %(client)s covers %(day)s: booked without one.")
                    % {"client": client, "day": day}
                )
        elif appointment.authorization_id is not None:
            authorization = appointment.authorization
            if not authorization.valid_from <= day <= authorization.valid_until:
                warnings.append(
                    _("Authorization %(authorization)s is not valid on %(day)s.")
                    % {"authorization": authorization, "day": day}
                )
    if appointment.fee_amount is None:
        appointment.fee_amount = _default_fee(appointment, day, warnings)
    return warnings


def _default_fee(appointment: Appointment, day: date, warnings: list[str]) -> Decimal:
    service_type = appointment.service_type
    if appointment.billing_client.kind == ClientKind.INDIRECT and appointment.authorization_id:
        payer_id = appointment.authorization.payer_id
        rate = payer_rate_in_force(payer_id=payer_id, service_type=service_type, on=day)
        if rate is not None:
            return rate.amount
        warnings.append(
            _("%(payer)s has no rate for %(service)s on %(day)s: the default fee is used.")
            % {"payer": appointment.authorization.payer, "service": service_type, "day": day}
        )
    return service_type.default_fee_amount


def _as_user(appointment: Appointment, by: User | None) -> None:
    if by is not None:
        appointment._history_user = by


# --- booking ------------------------------------------------------------------------------


def _appointment_build(
    *,
    therapist: Therapist,
    billing_client: Client,
    service_type: ServiceType,
    starts_at: datetime,
    duration: timedelta | None,
    ends_at: datetime | None,
    attendance: str,
    room: Room | None,
    fee_amount: Decimal | None,
    authorization: Authorization | None,
    notes: str,
    series: AppointmentSeries | None = None,
) -> Appointment:
    if ends_at is None:
        duration = duration or timedelta(minutes=service_type.default_duration_minutes)
        ends_at = starts_at + duration
    return Appointment(
        therapist=therapist,
        billing_client=billing_client,
        service_type=service_type,
        starts_at=starts_at,
        ends_at=ends_at,
        attendance=attendance,
        room=room,
        fee_amount=fee_amount,
        authorization=authorization,
        notes=notes,
        series=series,
    )


def _appointment_create(
    appointment: Appointment, *, clients: Iterable[Client], by: User | None
) -> None:
    _as_user(appointment, by)
    _save_guarded(appointment)
    appointment.clients.add(appointment.billing_client_id, *[client.pk for client in clients])


@transaction.atomic
def appointment_book(
    *,
    therapist: Therapist,
    billing_client: Client,
    clients: Iterable[Client] = (),
    service_type: ServiceType,
    starts_at: datetime,
    duration: timedelta | None = None,
    ends_at: datetime | None = None,
    attendance: str = Attendance.IN_PERSON,
    room: Room | None = None,
    fee_amount: Decimal | None = None,
    authorization: Authorization | None = None,
    notes: str = "",
    series: AppointmentSeries | None = None,
    by: User | None = None,
) -> BookingResult:
    """Book one appointment, or raise ValidationError naming what stands in the way.

    Ends after `duration`, at `ends_at`, or after the service's default duration. Indirect
    clients get the authorization covering the day linked (a warning when none does); an
    empty fee becomes the payer's rate in force (indirect) or the service's default fee.
    """
    appointment = _appointment_build(
        therapist=therapist,
        billing_client=billing_client,
        service_type=service_type,
        starts_at=starts_at,
        duration=duration,
        ends_at=ends_at,
        attendance=attendance,
        room=room,
        fee_amount=fee_amount,
        authorization=authorization,
        notes=notes,
        series=series,
    )
    warnings = _fill_defaults(appointment)
    appointment.full_clean()
    appointment_slot_check(appointment=appointment)
    _appointment_create(appointment, clients=clients, by=by)
    return BookingResult(appointment=appointment, warnings=warnings)


@transaction.atomic
def appointment_save_changes(*, appointment: Appointment, by: User | None = None) -> BookingResult:
    """Save staff edits to an existing appointment: same shape and slot checks as a booking.

    Status never changes here: attendance goes through complete / cancel / no-show.
    """
    stored = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if stored.status != appointment.status:
        raise ValidationError(_("Record attendance with the Complete, Cancel or No-show actions."))
    warnings = _fill_defaults(appointment, link_authorization=False)
    appointment.full_clean()
    appointment_slot_check(appointment=appointment)
    _as_user(appointment, by)
    _save_guarded(appointment)
    appointment_participants_ensure(appointment=appointment)
    return BookingResult(appointment=appointment, warnings=warnings)


@transaction.atomic
def appointment_move(
    *,
    appointment: Appointment,
    starts_at: datetime,
    room: Room | None = None,
    by: User | None = None,
) -> BookingResult:
    """Move one scheduled appointment (a series occurrence too) to a new start, same length.

    `room` None keeps the room. The checks of a booking apply, ignoring the appointment
    itself. An indirect client's authorization is re-chosen if it does not cover the new day.
    """
    appointment.refresh_from_db(from_queryset=Appointment.objects.select_for_update())
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise ValidationError(
            _("Appointment #%(pk)s is %(status)s; only a scheduled one can be moved.")
            % {"pk": appointment.pk, "status": appointment.get_status_display().lower()}
        )
    duration = appointment.duration
    appointment.starts_at = starts_at
    appointment.ends_at = starts_at + duration
    if room is not None:
        appointment.room = room
    day = timezone.localdate(starts_at)
    authorization = appointment.authorization
    if authorization and not authorization.valid_from <= day <= authorization.valid_until:
        appointment.authorization = None
    warnings = _fill_defaults(appointment)
    appointment.full_clean()
    appointment_slot_check(appointment=appointment)
    _as_user(appointment, by)
    _save_guarded(appointment)
    return BookingResult(appointment=appointment, warnings=warnings)


# --- series -------------------------------------------------------------------------------


def appointment_series_plan(
    *,
    frequency: str,
    starts_at: datetime,
    ends_at: datetime,
    occurrence_count: int | None = None,
    repeat_until: date | None = None,
) -> list[Interval]:
    """Every occurrence of a series, at the same Vancouver wall-clock time across DST.

    Stops after `occurrence_count` occurrences or on `repeat_until`, whichever comes first.
    """
    if not occurrence_count and not repeat_until:
        raise ValidationError(_("Give a number of occurrences or a last date."))
    step = timedelta(weeks=1 if frequency == Frequency.WEEKLY else 2)
    length = ends_at - starts_at
    wall_clock = timezone.localtime(starts_at).replace(tzinfo=None)
    intervals: list[Interval] = []
    while not (occurrence_count and len(intervals) >= occurrence_count):
        local = wall_clock + step * len(intervals)
        if repeat_until and local.date() > repeat_until:
            break
        if len(intervals) >= MAX_SERIES_OCCURRENCES:
            raise ValidationError(
                _("A series has at most %(max)s occurrences.") % {"max": MAX_SERIES_OCCURRENCES}
            )
        start = timezone.make_aware(local)
        intervals.append((start, start + length))
    if not intervals:
        raise ValidationError(_("The last date is before the first occurrence."))
    return intervals


def appointment_series_check(
    *,
    appointment: Appointment,
    frequency: str,
    occurrence_count: int | None = None,
    repeat_until: date | None = None,
) -> list[Interval]:
    """Plan the series of which `appointment` (unsaved) is the first occurrence and check
    every occurrence; raise one ValidationError listing each one that cannot be booked."""
    intervals = appointment_series_plan(
        frequency=frequency,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        occurrence_count=occurrence_count,
        repeat_until=repeat_until,
    )
    room = appointment.room if appointment.attendance == Attendance.IN_PERSON else None
    problems = _slot_problems(therapist=appointment.therapist, room=room, intervals=intervals)
    if problems:
        raise ValidationError(
            [
                _("%(day)s: %(reasons)s")
                % {
                    "day": f"{timezone.localtime(intervals[index][0]):%Y-%m-%d}",
                    "reasons": " ".join(reasons),
                }
                for index, reasons in sorted(problems.items())
            ]
        )
    return intervals


@transaction.atomic
def appointment_series_book(
    *,
    frequency: str,
    occurrence_count: int | None = None,
    repeat_until: date | None = None,
    therapist: Therapist,
    billing_client: Client,
    clients: Iterable[Client] = (),
    service_type: ServiceType,
    starts_at: datetime,
    duration: timedelta | None = None,
    ends_at: datetime | None = None,
    attendance: str = Attendance.IN_PERSON,
    room: Room | None = None,
    fee_amount: Decimal | None = None,
    authorization: Authorization | None = None,
    notes: str = "",
    by: User | None = None,
) -> SeriesBookingResult:
    """Book a weekly or fortnightly series: all occurrences, or none.

    Every occurrence is checked before anything is saved; the ValidationError lists each
    conflicting date and why. Each occurrence gets its own covering authorization and fee.
    """
    clients = list(clients)
    first = _appointment_build(
        therapist=therapist,
        billing_client=billing_client,
        service_type=service_type,
        starts_at=starts_at,
        duration=duration,
        ends_at=ends_at,
        attendance=attendance,
        room=room,
        fee_amount=fee_amount,
        authorization=authorization,
        notes=notes,
    )
    _fill_defaults(first)
    first.full_clean()
    intervals = appointment_series_check(
        appointment=first,
        frequency=frequency,
        occurrence_count=occurrence_count,
        repeat_until=repeat_until,
    )
    series = AppointmentSeries(
        therapist=therapist,
        billing_client=billing_client,
        frequency=frequency,
        first_starts_at=intervals[0][0],
        occurrence_count=occurrence_count,
        repeat_until=repeat_until,
    )
    series.full_clean()
    _as_user(series, by)
    series.save()
    appointments, warnings = [], []
    for occurrence_starts_at, occurrence_ends_at in intervals:
        appointment = _appointment_build(
            therapist=therapist,
            billing_client=billing_client,
            service_type=service_type,
            starts_at=occurrence_starts_at,
            duration=None,
            ends_at=occurrence_ends_at,
            attendance=attendance,
            room=room,
            fee_amount=fee_amount,
            authorization=authorization,
            notes=notes,
            series=series,
        )
        warnings += _fill_defaults(appointment)
        _appointment_create(appointment, clients=clients, by=by)
        appointments.append(appointment)
    return SeriesBookingResult(series=series, appointments=appointments, warnings=warnings)
