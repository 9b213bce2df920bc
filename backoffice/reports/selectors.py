"""Reads behind the staff reports: a therapist's or a room's week, and room utilization."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DurationField, F, Q, Sum
from django.utils import timezone

from backoffice.billing.selectors import receivables_by_age
from backoffice.caseload.models import Therapist
from backoffice.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Attendance,
    BadFitEntry,
    Room,
    RoomReservation,
)
from backoffice.zone_data import local_midnight

HOUR = Decimal("0.01")
PERCENT = Decimal("0.1")
# The grid always shows the clinic's usual day; earlier or later sessions widen it.
DAY_FIRST_HOUR, DAY_LAST_HOUR = 8, 20
# No session lasts a day: bounds the starts_at index scan of sessions overlapping a period.
LONGEST_SESSION = timedelta(days=1)

STATUS_VARIANTS = {
    AppointmentStatus.SCHEDULED: "info",
    AppointmentStatus.COMPLETED: "success",
    AppointmentStatus.CANCELLED: "warning",
    AppointmentStatus.LATE_CANCELLED: "warning",
    AppointmentStatus.NO_SHOW: "danger",
}


def week_start_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def _one_of(therapist: Therapist | None, room: Room | None) -> None:
    if (therapist is None) == (room is None):
        raise ValueError("Pass exactly one of therapist or room.")


# --- Week view ---------------------------------------------------------------------------


def week_appointments(
    *, therapist: Therapist | None = None, room: Room | None = None, week_start: date
) -> list[Appointment]:
    """Appointments of one therapist or one room starting in the Vancouver week (Monday to
    Sunday) that begins on `week_start`, in order.

    One query through the (therapist, starts_at) or (room, starts_at) index, so its cost is
    the week's rows, not the years kept.
    """
    _one_of(therapist, room)
    owner = {"therapist": therapist} if therapist is not None else {"room": room}
    return list(
        Appointment.objects.filter(
            **owner,
            starts_at__gte=local_midnight(week_start),
            starts_at__lt=local_midnight(week_start + timedelta(days=7)),
        )
        .select_related("billing_client", "service_type", "therapist", "room__site")
        .order_by("starts_at", "pk")
    )


def reservations_in_force(
    *,
    date_from: date,
    date_to: date,
    therapist: Therapist | None = None,
    room: Room | None = None,
) -> list[RoomReservation]:
    """Weekly room blocks valid on at least one day of the period (one query)."""
    reservations = RoomReservation.objects.filter(valid_from__lte=date_to).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=date_from)
    )
    if therapist is not None:
        reservations = reservations.filter(therapist=therapist)
    if room is not None:
        reservations = reservations.filter(room=room)
    return list(reservations.select_related("room__site", "therapist"))


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _in_force_on(reservation: RoomReservation, day: date) -> bool:
    return (
        reservation.weekday == day.weekday()
        and reservation.valid_from <= day
        and (reservation.valid_until is None or day <= reservation.valid_until)
    )


@dataclass
class WeekEntry:
    appointment: Appointment
    starts_at: datetime  # local
    ends_at: datetime  # local
    variant: str  # unfold label colour of its status


@dataclass
class WeekCell:
    day: date
    hour: int
    reservations: list[RoomReservation] = field(default_factory=list)
    entries: list[WeekEntry] = field(default_factory=list)


@dataclass
class WeekRow:
    hour: int
    cells: list[WeekCell]


@dataclass
class WeekGrid:
    week_start: date
    days: list[date]
    rows: list[WeekRow]
    entries: list[WeekEntry]

    @property
    def previous_week(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.week_start + timedelta(days=7)


def _week_entries(appointments: list[Appointment]) -> list[WeekEntry]:
    return [
        WeekEntry(
            appointment=appointment,
            starts_at=timezone.localtime(appointment.starts_at),
            ends_at=timezone.localtime(appointment.ends_at),
            variant=STATUS_VARIANTS.get(appointment.status, ""),
        )
        for appointment in appointments
    ]


def week_grid(
    *, therapist: Therapist | None = None, room: Room | None = None, week_start: date
) -> WeekGrid:
    """Days x hours of one therapist's or room's week: each appointment in the hour it
    starts, each hour shaded by the room blocks held then (two queries)."""
    _one_of(therapist, room)
    week_start = week_start_of(week_start)
    days = [week_start + timedelta(days=n) for n in range(7)]
    appointments = week_appointments(therapist=therapist, room=room, week_start=week_start)
    reservations = reservations_in_force(
        date_from=days[0], date_to=days[-1], therapist=therapist, room=room
    )
    entries = _week_entries(appointments)
    first_hour, last_hour = DAY_FIRST_HOUR, DAY_LAST_HOUR
    for entry in entries:
        first_hour = min(first_hour, entry.starts_at.hour)
        end_hour = entry.ends_at.hour + bool(entry.ends_at.minute or entry.ends_at.second)
        if entry.ends_at.date() > entry.starts_at.date():
            end_hour = 24
        last_hour = max(last_hour, end_hour)
    for reservation in reservations:
        first_hour = min(first_hour, reservation.start_time.hour)
        last_hour = max(last_hour, reservation.end_time.hour + bool(reservation.end_time.minute))
    cells = {
        (day, hour): WeekCell(day=day, hour=hour)
        for day in days
        for hour in range(first_hour, last_hour)
    }
    for day in days:
        for reservation in reservations:
            if not _in_force_on(reservation, day):
                continue
            start, end = _minutes(reservation.start_time), _minutes(reservation.end_time)
            for hour in range(first_hour, last_hour):
                if start < (hour + 1) * 60 and hour * 60 < end:
                    cells[day, hour].reservations.append(reservation)
    for entry in entries:
        cells[entry.starts_at.date(), entry.starts_at.hour].entries.append(entry)
    rows = [
        WeekRow(hour=hour, cells=[cells[day, hour] for day in days])
        for hour in range(first_hour, last_hour)
    ]
    return WeekGrid(week_start=week_start, days=days, rows=rows, entries=entries)


@dataclass
class AgendaDay:
    day: date
    entries: list[WeekEntry]
    reservations: list[RoomReservation]


def week_agenda(*, therapist: Therapist, week_start: date) -> list[AgendaDay]:
    """A therapist's week (from the Monday of `week_start`) as seven days, each with its
    sessions and the room blocks held that day, in order. Two queries."""
    week_start = week_start_of(week_start)
    days = [week_start + timedelta(days=n) for n in range(7)]
    entries = _week_entries(week_appointments(therapist=therapist, week_start=week_start))
    reservations = sorted(
        reservations_in_force(date_from=days[0], date_to=days[-1], therapist=therapist),
        key=lambda reservation: reservation.start_time,
    )
    return [
        AgendaDay(
            day=day,
            entries=[entry for entry in entries if entry.starts_at.date() == day],
            reservations=[r for r in reservations if _in_force_on(r, day)],
        )
        for day in days
    ]


# --- Room utilization --------------------------------------------------------------------


def last_full_month(today: date | None = None) -> tuple[date, date]:
    """The first and last days of the month before `today`'s (default: Vancouver today)."""
    today = today or timezone.localdate()
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def weekday_count(*, weekday: int, date_from: date, date_to: date) -> int:
    """How many days of the period (both ends included) fall on `weekday` (Monday = 0)."""
    if date_to < date_from:
        return 0
    first = date_from + timedelta(days=(weekday - date_from.weekday()) % 7)
    if first > date_to:
        return 0
    return (date_to - first).days // 7 + 1


def _block_minutes(reservation: RoomReservation) -> int:
    return _minutes(reservation.end_time) - _minutes(reservation.start_time)


def _hours(seconds: int | Decimal) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(HOUR, rounding=ROUND_HALF_UP)


@dataclass
class UtilizationRow:
    key: int
    name: str
    site: str = ""
    sort_name: str = ""
    reserved_seconds: int = 0
    held_seconds: int = 0
    threshold: int = 50

    @property
    def reserved_hours(self) -> Decimal:
        return _hours(self.reserved_seconds)

    @property
    def held_hours(self) -> Decimal:
        return _hours(self.held_seconds)

    @property
    def percent(self) -> Decimal | None:
        """Held ÷ reserved, as a percent to one decimal; None when nothing was reserved."""
        if not self.reserved_seconds:
            return None
        ratio = Decimal(self.held_seconds) * 100 / Decimal(self.reserved_seconds)
        return ratio.quantize(PERCENT, rounding=ROUND_HALF_UP)

    @property
    def underused(self) -> bool:
        percent = self.percent
        return percent is not None and percent < self.threshold


@dataclass
class UtilizationReport:
    date_from: date
    date_to: date
    threshold: int
    sites: list[UtilizationRow]
    rooms: list[UtilizationRow]
    therapists: list[UtilizationRow]
    total: UtilizationRow


def _sorted(rows: Iterable[UtilizationRow]) -> list[UtilizationRow]:
    return sorted(
        rows, key=lambda row: (row.site.casefold(), (row.sort_name or row.name).casefold(), row.key)
    )


def room_utilization(
    *,
    date_from: date,
    date_to: date,
    threshold: int | None = None,
    therapist: Therapist | None = None,
) -> UtilizationReport:
    """Hours reserved, hours of in-person sessions held and their ratio, per site, room and
    therapist, over the Vancouver days `date_from` to `date_to` (both included).

    Reserved: each weekly block counted on every day of the period on its weekday within its
    own first and last days. Held: completed in-person sessions overlapping the period, their
    whole duration, summed in SQL by room and therapist. Two queries, whatever the history.
    Given a therapist, only their reservations and sessions.
    """
    if date_to < date_from:
        raise ValueError("The period ends before it starts.")
    if threshold is None:
        threshold = settings.UNDERUSED_THRESHOLD_PERCENT
    sites: dict[int, UtilizationRow] = {}
    rooms: dict[int, UtilizationRow] = {}
    therapists: dict[int, UtilizationRow] = {}
    total = UtilizationRow(key=0, name="", threshold=threshold)

    def rows_for(room_id, room_name, site_id, site_name, therapist_id, first, last):
        site = sites.setdefault(
            site_id, UtilizationRow(key=site_id, name=site_name, threshold=threshold)
        )
        room = rooms.setdefault(
            room_id,
            UtilizationRow(key=room_id, name=room_name, site=site_name, threshold=threshold),
        )
        therapist = therapists.setdefault(
            therapist_id,
            UtilizationRow(
                key=therapist_id,
                name=f"{first} {last}",
                sort_name=f"{last} {first}",
                threshold=threshold,
            ),
        )
        return site, room, therapist, total

    for reservation in reservations_in_force(
        date_from=date_from, date_to=date_to, therapist=therapist
    ):
        days = weekday_count(
            weekday=reservation.weekday,
            date_from=max(date_from, reservation.valid_from),
            date_to=min(date_to, reservation.valid_until or date_to),
        )
        seconds = days * _block_minutes(reservation) * 60
        room, holder = reservation.room, reservation.therapist
        for row in rows_for(
            room.pk,
            room.name,
            room.site_id,
            room.site.name,
            holder.pk,
            holder.first_name,
            holder.last_name,
        ):
            row.reserved_seconds += seconds

    period_start = local_midnight(date_from)
    period_end = local_midnight(date_to + timedelta(days=1))
    sessions = Appointment.objects.all() if therapist is None else therapist.appointments.all()
    held = (
        sessions.filter(
            status=AppointmentStatus.COMPLETED,
            attendance=Attendance.IN_PERSON,
            room__isnull=False,
            starts_at__gte=period_start - LONGEST_SESSION,
            starts_at__lt=period_end,
            ends_at__gt=period_start,
        )
        .values(
            "room_id",
            "room__name",
            "room__site_id",
            "room__site__name",
            "therapist_id",
            "therapist__first_name",
            "therapist__last_name",
        )
        .annotate(duration=Sum(F("ends_at") - F("starts_at"), output_field=DurationField()))
        .order_by()
    )
    for group in held:
        seconds = int(group["duration"].total_seconds())
        for row in rows_for(
            group["room_id"],
            group["room__name"],
            group["room__site_id"],
            group["room__site__name"],
            group["therapist_id"],
            group["therapist__first_name"],
            group["therapist__last_name"],
        ):
            row.held_seconds += seconds

    return UtilizationReport(
        date_from=date_from,
        date_to=date_to,
        threshold=threshold,
        sites=_sorted(sites.values()),
        rooms=_sorted(rooms.values()),
        therapists=_sorted(therapists.values()),
        total=total,
    )


@dataclass
class ClinicDay:
    """The staff home's view of the clinic today (backoffice.admin_site.dashboard_callback)."""

    today: date
    sessions_today: dict[str, int]  # by AppointmentStatus
    sessions_tomorrow: int  # booked, not cancelled
    receivables: dict[str, Decimal]  # billing's age buckets and "total"
    underused_rooms: list[UtilizationRow]
    bad_fit: list[BadFitEntry]


BAD_FIT_SHOWN = 8


def clinic_day(*, today: date) -> ClinicDay:
    """Today's and tomorrow's sessions (one aggregate over two days of the starts_at index),
    receivables by age, the rooms under-used this month so far, and the open Bad Fit entries
    (newest first, with their notes): five queries, whatever the history."""
    tomorrow = local_midnight(today + timedelta(days=1))
    by_status = {
        status: Count("pk", filter=Q(starts_at__lt=tomorrow, status=status))
        for status in AppointmentStatus.values
    }
    counts = Appointment.objects.filter(
        starts_at__gte=local_midnight(today),
        starts_at__lt=local_midnight(today + timedelta(days=2)),
    ).aggregate(
        **by_status,
        tomorrow=Count(
            "pk",
            filter=Q(starts_at__gte=tomorrow)
            & Q(status__in=[AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED]),
        ),
    )
    utilization = room_utilization(date_from=today.replace(day=1), date_to=today)
    bad_fit = (
        BadFitEntry.objects.filter(resolved_at__isnull=True)
        .select_related("client", "therapist")
        .order_by("-opened_at")[:BAD_FIT_SHOWN]
    )
    return ClinicDay(
        today=today,
        sessions_today={status: counts[status] for status in AppointmentStatus.values},
        sessions_tomorrow=counts["tomorrow"],
        receivables=receivables_by_age(on=today),
        underused_rooms=[room for room in utilization.rooms if room.underused],
        bad_fit=list(bad_fit),
    )
