from datetime import date

from django.db.models import F, Q, QuerySet

from backoffice.caseload.models import (
    Authorization,
    Client,
    PayerRate,
    ServiceType,
    Therapist,
    TherapistRate,
)


def clients_of_therapist(*, therapist: Therapist) -> QuerySet[Client]:
    """The only clients a therapist may reach: those whose primary therapist they are."""
    return Client.objects.filter(primary_therapist=therapist)


def authorizations_of_therapist(*, therapist: Therapist) -> QuerySet[Authorization]:
    """The authorizations of the therapist's own clients."""
    return Authorization.objects.filter(client__primary_therapist=therapist)


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
