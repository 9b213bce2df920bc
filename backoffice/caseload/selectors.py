from datetime import date
from pathlib import PurePath

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.text import slugify

from backoffice.accounts.models import User
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


def renewal_document_filename(authorization: Authorization) -> str:
    """The name a renewal document downloads as (its stored name is random): the authorization's
    reference number."""
    extension = PurePath(authorization.renewal_document.name).suffix
    reference = slugify(authorization.reference_number) or authorization.pk
    return f"renewal-{reference}{extension}"


def clients_with_pending_request(queryset: QuerySet[Client]) -> QuerySet[Client]:
    """Clients with `pending_request`: whether a therapist's request about them waits for
    staff."""
    pending = ClientStatusRequest.objects.filter(
        client=OuterRef("pk"), state=ClientStatusRequestState.PENDING
    )
    return queryset.annotate(pending_request=Exists(pending))


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


def portal_therapist(*, user: User) -> Therapist | None:
    """The therapist whose own account `user` is, or None: the portal is for therapists, never
    for a staff account (even one linked to a therapist) nor a deactivated user. The caller
    decides what an inactive therapist (returned) may do."""
    if not user.is_active or user.is_staff or user.is_superuser:
        return None
    return Therapist.objects.filter(user=user).first()


def therapists_for_password_reset(*, email: str) -> QuerySet[Therapist]:
    """Active therapists whose email (the address the clinic writes to) is `email`, on an active
    account of their own that staff invited or that already has a password; with their user."""
    return Therapist.objects.filter(
        Q(invited_at__isnull=False)
        | ~(Q(user__password="") | Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)),
        email__iexact=email.strip(),
        is_active=True,
        user__is_active=True,
        user__is_staff=False,
        user__is_superuser=False,
    ).select_related("user")


def portal_client(*, user: User) -> Client | None:
    """The active client file whose own account `user` is, or None: the client pages are never
    for a staff account, a therapist's, nor a deactivated user or client. Reads the file the
    user was loaded with (accounts.backends)."""
    if not user.is_active or user.is_staff or user.is_superuser or hasattr(user, "therapist"):
        return None
    client = getattr(user, "client_file", None)
    return client if client is not None and client.is_active else None


def clients_for_sign_in(*, email: str) -> QuerySet[Client]:
    """Active client files whose email is `email`, with their sign-in account (none yet, or
    one that is a client's own and active). A family's files may share one address."""
    email = email.strip()
    if not email:
        return Client.objects.none()
    return (
        Client.objects.filter(email__iexact=email, is_active=True)
        .filter(
            Q(user__isnull=True)
            | Q(user__is_active=True, user__is_staff=False, user__is_superuser=False)
        )
        .select_related("user")
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
