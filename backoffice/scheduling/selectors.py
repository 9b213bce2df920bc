from datetime import date, datetime, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from backoffice.caseload.models import Authorization, Client, Therapist
from backoffice.scheduling.models import (
    TIME_HOLDING_STATUSES,
    Appointment,
    AppointmentStatus,
    BadFitEntry,
    RoomReservation,
)
from backoffice.zone_data import local_midnight


def clients_matching(*, term: str) -> QuerySet[Client]:
    """Clients whose legal or preferred names contain every word of `term`; "Last, First"
    (as lists and pickers show names) matches the last name before the comma and the first
    or preferred name after it; "#123" is the file number."""
    clients = Client.objects.all()
    term = term.strip()
    if term.startswith("#") and term[1:].isdigit():
        return clients.filter(pk=int(term[1:]))
    last, comma, first = term.partition(",")
    if not comma:
        last, first = "", term
    for word in last.split():
        clients = clients.filter(last_name__icontains=word)
    for word in first.split():
        names = Q(first_name__icontains=word) | Q(preferred_name__icontains=word)
        clients = clients.filter(names if comma else names | Q(last_name__icontains=word))
    return clients


# From this many matching clients on, a name is common: its search must not slow down as the
# years of appointments grow (docs/quality.md, list pages; see below).
COMMON_NAME_CLIENTS = 50


def appointments_for_client_name(
    *, appointments: QuerySet[Appointment], term: str, newest_first: bool = False
) -> QuerySet[Appointment]:
    """Appointments whose billing client matches `term`.

    Matches the small clients table first (one query for at most COMMON_NAME_CLIENTS ids).
    A few clients: their appointments through the (billing_client, starts_at) index; the
    cost is their own history. A common name listed newest first: gathering and sorting
    every appointment of, say, 180 clients grows with each year kept, so walk the starts_at
    index from the newest instead, keeping those of matching clients: a page is found after
    a few thousand rows however many years are kept.
    """
    matching = clients_matching(term=term)
    ids = list(matching.values_list("pk", flat=True)[:COMMON_NAME_CLIENTS])
    if len(ids) < COMMON_NAME_CLIENTS:
        return appointments.filter(billing_client__in=ids)
    if not newest_first:
        return appointments.filter(billing_client__in=matching.values("pk"))
    # "+ 0" keeps the planner off the billing-client index, so it reads starts_at in order.
    return appointments.alias(billing_client_key=F("billing_client_id") + 0).filter(
        billing_client_key__in=matching.values("pk")
    )


def appointments_overlapping(
    *,
    intervals: list[tuple[datetime, datetime]],
    therapist_id: int,
    room_id: int | None = None,
    exclude_pks: tuple[int, ...] = (),
) -> list[Appointment]:
    """Time-holding appointments of the therapist (or in the room) overlapping any interval.

    Intervals are half-open [start, end): one ending at 10:00 leaves 10:00 free. One query
    for a whole series; callers match each row back to its interval.
    """
    if not intervals:
        return []
    overlap = Q()
    for starts_at, ends_at in intervals:
        overlap |= Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    holder = Q(therapist_id=therapist_id)
    if room_id is not None:
        holder |= Q(room_id=room_id)
    return list(
        Appointment.objects.filter(holder, overlap, status__in=TIME_HOLDING_STATUSES)
        .exclude(pk__in=exclude_pks)
        .select_related("therapist", "room__site")
        .order_by("starts_at")
    )


def room_reservations_of(*, therapist_id: int, room_id: int) -> list[RoomReservation]:
    """Every weekly block the therapist holds in the room, past, current and future."""
    return list(RoomReservation.objects.filter(therapist_id=therapist_id, room_id=room_id))


def authorization_covering(
    *, client_id: int, on: date, exclude_appointment_pk: int | None = None
) -> Authorization | None:
    """The client's authorization valid on a day with sessions left, the one expiring first.

    Used = its appointments not cancelled in time (a simple count; richer usage selectors
    live in caseload).
    """
    used = (
        Appointment.objects.filter(authorization=OuterRef("pk"))
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(pk=exclude_appointment_pk)
        .order_by()
        .values("authorization")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Authorization.objects.filter(client_id=client_id, valid_from__lte=on, valid_until__gte=on)
        .annotate(used_count=Coalesce(Subquery(used), 0))
        .filter(used_count__lt=F("sessions_approved"))
        .select_related("payer")
        .order_by("valid_until", "pk")
        .first()
    )


def appointments_of_payer(
    *, appointments: QuerySet[Appointment], payer_id: int
) -> QuerySet[Appointment]:
    """Appointments covered by one payer's authorizations, for a list shown newest first.

    Gathering every session a payer ever covered and sorting them grows with each year kept;
    "+ 0" keeps the planner off the authorization index, so it walks starts_at from the
    newest and a page is found after a few hundred rows however many years are kept.
    """
    return appointments.alias(authorization_key=F("authorization_id") + 0).filter(
        authorization_key__in=Authorization.objects.filter(payer_id=payer_id).values("pk")
    )


def session_paid(*, by: date | None = None) -> Q:
    """The one definition of a paid session, as a filter on appointments.

    A session is paid when a payment covers it: taken at the session, or allocated to its
    invoice and covering its whole line. Either way `Appointment.paid_at` holds the day the
    covering money was received (billing's payments write it, nothing else), so a
    session is paid by a day when that day is at least its payment's. `by`: paid by the end
    of that Vancouver day; None: paid at all.
    """
    if by is None:
        return Q(paid_at__isnull=False)
    return Q(paid_at__lt=local_midnight(by + timedelta(days=1)))


def session_before_in_bad_fit_episode(*, appointment: Appointment) -> Appointment | None:
    """The billing client's session just before `appointment` whose outcome is known, after
    staff last removed the client from the Bad Fit list (the episode's sessions)."""
    client_id = appointment.billing_client_id
    earlier = Appointment.objects.filter(
        billing_client_id=client_id, starts_at__lt=appointment.starts_at
    ).exclude(status=AppointmentStatus.SCHEDULED)
    last_removal = (
        BadFitEntry.objects.filter(client_id=client_id, resolved_at__isnull=False)
        .order_by("-resolved_at")
        .values_list("resolved_at", flat=True)
        .first()
    )
    if last_removal:
        earlier = earlier.filter(starts_at__gt=last_removal)
    return earlier.order_by("-starts_at").first()


def appointments_of_therapist(*, therapist: Therapist) -> QuerySet[Appointment]:
    """The only sessions a therapist may reach: their own, with what their pages show."""
    return Appointment.objects.filter(therapist=therapist).select_related(
        "billing_client", "service_type", "room__site"
    )


def appointments_of_client(*, client: Client) -> QuerySet[Appointment]:
    """The only sessions a client may reach on their pages: those they are in (a couple's or
    a family's too), with what the pages show."""
    return Appointment.objects.filter(clients=client).select_related(
        "therapist", "service_type", "room__site"
    )
