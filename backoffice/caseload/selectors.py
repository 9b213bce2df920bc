from datetime import date

from django.db.models import F, Q, QuerySet

from backoffice.caseload.models import (
    Authorization,
    Client,
    ClientStatusRequest,
    ClientStatusRequestState,
    PayerRate,
    ServiceType,
    Therapist,
    TherapistRate,
)
from backoffice.zone_data import local_midnight


def clients_of_therapist(*, therapist: Therapist) -> QuerySet[Client]:
    """The only clients a therapist may reach: those whose primary therapist they are."""
    return Client.objects.filter(primary_therapist=therapist)


def authorizations_of_therapist(*, therapist: Therapist) -> QuerySet[Authorization]:
    """The authorizations of the therapist's own clients."""
    return Authorization.objects.filter(client__primary_therapist=therapist)


def client_status_requests_of_therapist(
    *, therapist: Therapist, decided_since: date
) -> QuerySet[ClientStatusRequest]:
    """The therapist's requests waiting for staff and those decided since a day, newest
    first."""
    return (
        ClientStatusRequest.objects.filter(therapist=therapist)
        .filter(
            Q(state=ClientStatusRequestState.PENDING)
            | Q(decided_at__gte=local_midnight(decided_since))
        )
        .select_related("client")
        .order_by("-requested_at")
    )


def therapist_rate_in_force(
    *, therapist: Therapist, service_type: ServiceType, on: date
) -> TherapistRate | None:
    """The therapist's rate on a date: the latest row for that service, else the general one."""
    return (
        TherapistRate.objects.filter(therapist=therapist, effective_from__lte=on)
        .filter(Q(service_type=service_type) | Q(service_type__isnull=True))
        .order_by(F("service_type").asc(nulls_last=True), "-effective_from")
        .first()
    )


def payer_rate_in_force(*, payer_id: int, service_type: ServiceType, on: date) -> PayerRate | None:
    """What the payer pays for this service on a date (None: no rate entered yet)."""
    return (
        PayerRate.objects.filter(
            payer_id=payer_id, service_type=service_type, effective_from__lte=on
        )
        .order_by("-effective_from")
        .first()
    )
