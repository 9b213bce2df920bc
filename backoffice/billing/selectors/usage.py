"""Authorization usage and the client colour, which follow the billing rules (who a session is
billed to, whether it is paid), and one therapist's caseload with both."""

from datetime import date, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.billing.models import BillTo, InvoiceLine
from backoffice.billing.selectors.sessions import session_bill_to, sessions_unpaid_by_client
from backoffice.caseload.models import Authorization, Client, ClientKind, Therapist
from backoffice.caseload.selectors import clients_of_therapist
from backoffice.scheduling.models import MISSED_STATUSES, Appointment, AppointmentStatus

# --- Authorization usage -------------------------------------------------------------------
#
# Correlated subqueries (not JOIN + GROUP BY) so a list page computes usage only for the rows
# it shows, each through the (authorization, status) index: cost stays flat as years pile up.


def _sessions_billed_to_payer_count(statuses) -> Coalesce:
    # Sessions of this authorization in these statuses that the payer rules bill to its payer.
    counted = (
        Appointment.objects.filter(authorization=OuterRef("pk"), status__in=statuses)
        .alias(bill_to=session_bill_to())
        .filter(bill_to=BillTo.PAYER)
        .order_by()
        .values("authorization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _sessions_billed_count() -> Coalesce:
    # Sessions on a live line (draft or issued invoice) charged to this authorization.
    billed = (
        InvoiceLine.objects.filter(
            authorization=OuterRef("pk"), is_void=False, appointment__isnull=False
        )
        .order_by()
        .values("authorization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(billed, output_field=IntegerField()), 0)


def authorizations_with_usage(
    queryset: QuerySet[Authorization] | None = None,
) -> QuerySet[Authorization]:
    """Authorizations annotated with sessions used, billed and remaining.

    Used = the completed sessions and the late cancellations / no-shows that
    `billing.sessions.session_bill_to` bills to the authorization's payer (the rule invoicing
    applies), at most `missed_sessions_billable_count` of the missed ones.
    Billed = sessions charged to it on a live line of an invoice (draft or issued).
    Remaining = approved - used, never below 0. Constant queries for any number of rows.
    `queryset` narrows the authorizations (`narrowed`).
    """
    return narrowed(_authorizations_used(), queryset)


@lru_cache(maxsize=1)
def _authorizations_used() -> QuerySet[Authorization]:
    """`authorizations_with_usage` of every authorization, built once a process (`narrowed`)."""
    return (
        Authorization.objects.annotate(
            sessions_completed_count=_sessions_billed_to_payer_count([AppointmentStatus.COMPLETED]),
            missed_sessions_count=_sessions_billed_to_payer_count(MISSED_STATUSES),
        )
        .annotate(
            missed_sessions_used_count=Case(
                When(
                    payer__missed_sessions_billable_count__isnull=True,
                    then=F("missed_sessions_count"),
                ),
                default=Least(
                    F("missed_sessions_count"), F("payer__missed_sessions_billable_count")
                ),
                output_field=IntegerField(),
            )
        )
        .annotate(
            sessions_used_count=F("sessions_completed_count") + F("missed_sessions_used_count"),
            sessions_billed_count=_sessions_billed_count(),
        )
        .annotate(
            sessions_remaining_count=Greatest(
                F("sessions_approved") - F("sessions_used_count"), Value(0)
            )
        )
    )


def narrowed(annotated: QuerySet, queryset: QuerySet | None) -> QuerySet:
    """`annotated`, built and resolved once (Django takes milliseconds to resolve nested
    subqueries, a good part of a page: docs/quality.md, Under load), narrowed to `queryset`'s
    rows and ordering. A copy shares the resolved expressions; the built one is never run.
    Only filters and ordering carry over, so select_related and the like go after."""
    if queryset is None:
        return annotated.all()
    query = queryset.query
    if query.annotations or query.select_related or queryset._prefetch_related_lookups:
        raise ValueError("Narrow by filters only; select or prefetch related rows after.")
    return annotated & queryset


def authorization_usage(*, authorization: Authorization) -> Authorization:
    """One authorization with the same annotations as `authorizations_with_usage`."""
    return authorizations_with_usage(Authorization.objects.filter(pk=authorization.pk)).get()


# --- Client status colour ------------------------------------------------------------------


class ClientStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    RED = "red", _("Red")
    PINK = "pink", _("Pink")


def _red_rule() -> tuple[date, int, int]:
    """Today, and the red rule's thresholds from settings: sessions left, days to expiry."""
    return timezone.localdate(), settings.CLIENT_RED_SESSIONS_LEFT, settings.CLIENT_RED_EXPIRY_DAYS


def _in_force_and_running_out(today: date, sessions_left: int, expiry_days: int) -> tuple[Q, Q]:
    """(in force today, running out): the red rule's two halves."""
    in_force = Q(valid_from__lte=today, valid_until__gte=today)
    running_out = Q(sessions_remaining_count__lte=sessions_left) | Q(
        valid_until__lte=today + timedelta(days=expiry_days)
    )
    return in_force, running_out


def authorizations_with_status(
    queryset: QuerySet[Authorization] | None = None,
) -> QuerySet[Authorization]:
    """Authorizations with usage and `status`: pink once renewal documents are submitted
    (pink wins over red), else red when it is in force and few sessions are left or it
    expires soon, else normal."""
    in_force, running_out = _in_force_and_running_out(*_red_rule())
    return authorizations_with_usage(queryset).annotate(
        status=Case(
            When(renewal_submitted_at__isnull=False, then=Value(ClientStatus.PINK)),
            When(in_force & running_out, then=Value(ClientStatus.RED)),
            default=Value(ClientStatus.NORMAL),
            output_field=CharField(),
        )
    )


def clients_with_status(queryset: QuerySet[Client] | None = None) -> QuerySet[Client]:
    """Clients annotated with `status` (ClientStatus), the one rule for every screen.

    Red: an authorization in force has at most CLIENT_RED_SESSIONS_LEFT sessions left or
    expires within CLIENT_RED_EXPIRY_DAYS days, and no renewal was submitted for it; or a
    direct client has more than one unpaid session: billed to them (a completed session, a
    missed one with a fee) and not paid (`billing.sessions.sessions_unpaid_by_client`).
    Pink: renewal documents were submitted for an authorization in force and nothing makes
    the client red. Otherwise normal.
    Per-row subqueries, so a list page costs one query however many clients it shows.
    `queryset` narrows the clients (`narrowed`).
    """
    return narrowed(_clients_coloured(*_red_rule()), queryset)


@lru_cache(maxsize=4)
def _clients_coloured(today: date, sessions_left: int, expiry_days: int) -> QuerySet[Client]:
    """`clients_with_status` of every client, built once a day and process (`narrowed`)."""
    in_force, running_out = _in_force_and_running_out(today, sessions_left, expiry_days)
    of_client = Q(client=OuterRef("pk")) & in_force
    red_authorization = authorizations_with_usage().filter(
        of_client, running_out, renewal_submitted_at__isnull=True
    )
    pink_authorization = Authorization.objects.filter(of_client, renewal_submitted_at__isnull=False)
    unpaid = sessions_unpaid_by_client(
        Appointment.objects.filter(billing_client=OuterRef("pk"))
    ).values("unpaid_count")
    more_than_one_unpaid = GreaterThan(Subquery(unpaid, output_field=IntegerField()), 1)
    return Client.objects.annotate(
        status=Case(
            When(Exists(red_authorization), then=Value(ClientStatus.RED)),
            When(Q(kind=ClientKind.DIRECT) & more_than_one_unpaid, then=Value(ClientStatus.RED)),
            When(Exists(pink_authorization), then=Value(ClientStatus.PINK)),
            default=Value(ClientStatus.NORMAL),
            output_field=CharField(),
        )
    )


def client_status(*, client: Client) -> ClientStatus:
    """One client's colour, by the same query the lists use."""
    status = clients_with_status(Client.objects.filter(pk=client.pk)).values_list(
        "status", flat=True
    )
    return ClientStatus(status.get())


def clients_with_authorizations(queryset: QuerySet[Client]) -> QuerySet[Client]:
    """Clients with `status` (their colour) and `authorization_list`: the authorization a
    list shows for them, the one in force or else the newest, with usage, `status` and payer
    (an empty list for a client without one). Two queries for a page of clients, however
    long their history."""
    today = timezone.localdate()
    in_force_first = Case(
        When(valid_from__lte=today, valid_until__gte=today, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    shown = Authorization.objects.filter(client=OuterRef("client")).order_by(
        in_force_first, "-valid_until", "-pk"
    )
    authorizations = authorizations_with_status(
        Authorization.objects.filter(pk=Subquery(shown.values("pk")[:1]))
    ).select_related("payer")
    return clients_with_status(queryset).prefetch_related(
        Prefetch("authorizations", queryset=authorizations, to_attr="authorization_list")
    )


# --- One therapist's caseload ------------------------------------------------------------


def therapist_caseload(*, therapist: Therapist) -> list[dict]:
    """The therapist's clients in four sections (direct or indirect, active or deactivated).

    Each client carries `status` (its colour) and `shown_authorizations`: those in force, or
    else its latest one, each with usage. Three queries however many clients there are, and
    only those authorizations read: years of expired ones cost nothing.
    """
    today = timezone.localdate()
    latest = Authorization.objects.filter(client=OuterRef("client")).order_by("-valid_until", "-pk")
    shown = Q(valid_from__lte=today, valid_until__gte=today) | Q(
        pk=Subquery(latest.values("pk")[:1])
    )
    authorizations = (
        authorizations_with_usage(Authorization.objects.filter(shown))
        .select_related("payer")
        .order_by("-valid_until", "-pk")
    )
    clients = clients_with_status(clients_of_therapist(therapist=therapist)).prefetch_related(
        Prefetch("authorizations", queryset=authorizations, to_attr="authorizations_with_usage")
    )
    sections = {
        (kind, active): {"kind": kind, "is_active": active, "clients": []}
        for kind in (ClientKind.DIRECT, ClientKind.INDIRECT)
        for active in (True, False)
    }
    for client in clients:
        in_force = [
            a for a in client.authorizations_with_usage if a.valid_from <= today <= a.valid_until
        ]
        client.shown_authorizations = in_force or client.authorizations_with_usage[:1]
        sections[(client.kind, client.is_active)]["clients"].append(client)
    for section in sections.values():
        section["title"] = _("%(kind)s · %(state)s") % {
            "kind": ClientKind(section["kind"]).label,
            "state": _("active") if section["is_active"] else _("deactivated"),
        }
    return list(sections.values())
