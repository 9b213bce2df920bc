from datetime import date, datetime, time, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backoffice.caseload.models import Client
from backoffice.scheduling.models import Appointment


def clients_matching(*, term: str) -> QuerySet[Client]:
    """Clients whose legal or preferred names contain every word of `term`."""
    clients = Client.objects.all()
    for word in term.split():
        clients = clients.filter(
            Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return clients


# From this many matching clients on, a name is common (QUALITY P2, see below).
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


def appointments_on(*, day: date) -> QuerySet[Appointment]:
    """Appointments starting on a local (Vancouver) calendar day."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return Appointment.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
