from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
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


def appointments_for_client_name(
    *, appointments: QuerySet[Appointment], term: str
) -> QuerySet[Appointment]:
    """Appointments whose billing client matches `term`.

    Matches the small clients table first, then reaches appointments through the
    (billing_client, starts_at) index, so the cost does not grow with years of appointments.
    """
    return appointments.filter(billing_client__in=clients_matching(term=term).values("pk"))


def appointments_on(*, day: date) -> QuerySet[Appointment]:
    """Appointments starting on a local (Vancouver) calendar day."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return Appointment.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
