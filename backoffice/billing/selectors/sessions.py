"""What billing says about one session, in one place: who it is billed to (`session_bill_to`)
and what a payment taken at the session must know of it (whether it is paid is
`scheduling.selectors.session_paid`; what it costs its client, `billing.models`).

Authorization usage and the client colour, the month run, session payments and the
payer-limit lists all read these, so they cannot disagree (docs/rules.md, billing).
"""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from backoffice.billing.models import (
    BILLABLE_STATUSES,
    BillTo,
    InvoiceLine,
    InvoiceStatus,
    SetAsideOutcome,
    session_client_total,
)
from backoffice.caseload.models import Client, ClientKind
from backoffice.scheduling.models import MISSED_STATUSES, Appointment, AppointmentStatus
from backoffice.scheduling.selectors import session_paid

# Sessions paid ahead: at most this far in the future (the next few of a weekly series).
SESSIONS_PAYABLE_AHEAD_DAYS = 14


def session_bill_to() -> Case:
    """Who an appointment is billed to (a `BillTo` value), as an SQL expression.

    - Staff's decision on a session set aside at its payer's limits wins: bill the client, or
      write it off (billed to nobody).
    - A late cancellation or no-show is billed only when a missed-session fee was charged;
      then to its payer per the payer's rule for that outcome (not billed / payer / client),
      or to a self-paying client. How many a payer pays per authorization is the cap
      (`Payer.missed_sessions_billable_count`), applied by the callers that count.
    - Any other session goes to the payer of its authorization, else to a self-paying client;
      an indirect client's session without an authorization is billed to nobody.
    """
    missed = Q(status__in=MISSED_STATUSES)
    payer_rule = Case(
        When(
            status=AppointmentStatus.LATE_CANCELLED,
            then=F("authorization__payer__late_cancel_billing"),
        ),
        default=F("authorization__payer__no_show_billing"),
    )
    return Case(
        When(set_aside_decision__outcome=SetAsideOutcome.BILL_CLIENT, then=Value(BillTo.CLIENT)),
        When(set_aside_decision__outcome=SetAsideOutcome.WRITE_OFF, then=Value(BillTo.NOT_BILLED)),
        When(missed & Q(missed_session_fee_amount__isnull=True), then=Value(BillTo.NOT_BILLED)),
        When(missed & Q(authorization__isnull=False), then=payer_rule),
        When(authorization__isnull=False, then=Value(BillTo.PAYER)),
        When(billing_client__kind=ClientKind.DIRECT, then=Value(BillTo.CLIENT)),
        default=Value(BillTo.NOT_BILLED),
        output_field=CharField(),
    )


def sessions_with_payment_facts(
    queryset: QuerySet[Appointment] | None = None,
) -> QuerySet[Appointment]:
    """Appointments with what a payment taken at the session must know: `bill_to` (who the
    payer rules bill it to), `is_paid` (a payment covers it) and `issued_invoice` (the number
    of the issued invoice billing it, or None)."""
    queryset = Appointment.objects.all() if queryset is None else queryset
    issued_line = InvoiceLine.objects.filter(
        appointment=OuterRef("pk"), is_void=False, invoice__status=InvoiceStatus.ISSUED
    )
    return queryset.annotate(
        bill_to=session_bill_to(),
        is_paid=ExpressionWrapper(session_paid(), output_field=BooleanField()),
        issued_invoice=Subquery(issued_line.values("invoice__number")[:1]),
    )


def sessions_unpaid_by_client(queryset: QuerySet[Appointment] | None = None) -> QuerySet:
    """How many unpaid sessions each client has, among `queryset`: `billing_client` and
    `unpaid_count` rows. Unpaid: billed to the client (a completed session, a missed one with
    a fee: `session_bill_to`) and no payment covers it (`session_paid`). The client colour
    and the worklist read it, so a red client and their task cannot disagree."""
    queryset = Appointment.objects.all() if queryset is None else queryset
    return (
        queryset.filter(status__in=BILLABLE_STATUSES)
        .alias(bill_to=session_bill_to())
        .filter(bill_to=BillTo.CLIENT)
        .exclude(session_paid())
        .order_by()
        .values("billing_client")
        .annotate(unpaid_count=Count("pk"))
    )


def sessions_payable(*, client: Client, limit: int = 30) -> list[Appointment]:
    """The client's sessions they can pay at the session now, newest first (at most `limit`,
    none more than SESSIONS_PAYABLE_AHEAD_DAYS ahead): billed to them, not cancelled, not paid,
    not on an issued invoice. Each carries `due_amount`, what it costs them. Two queries."""
    ahead = timezone.now() + timedelta(days=SESSIONS_PAYABLE_AHEAD_DAYS)
    sessions = (
        sessions_with_payment_facts(
            Appointment.objects.filter(
                billing_client=client,
                starts_at__lt=ahead,
                status__in=(AppointmentStatus.SCHEDULED, *BILLABLE_STATUSES),
            )
        )
        .filter(bill_to=BillTo.CLIENT, issued_invoice__isnull=True)
        .exclude(session_paid())
        .select_related("service_type", "therapist")
        .order_by("-starts_at", "-pk")[:limit]
    )
    sessions = list(sessions)
    for session in sessions:
        session.due_amount = session_client_total(session)
    return sessions


def sessions_payment_summary(sessions: QuerySet[Appointment]) -> dict[str, int]:
    """How `sessions` stand for payment, in one query: billed to the client (`client_paid`,
    `client_unpaid`), to a payer (`payer_invoiced`: on an issued invoice, `payer_paid`,
    `payer_not_invoiced`), and missed sessions billed to nobody (`not_billed`)."""
    facts = sessions_with_payment_facts(sessions.filter(status__in=BILLABLE_STATUSES).order_by())
    to_client, to_payer = Q(bill_to=BillTo.CLIENT), Q(bill_to=BillTo.PAYER)
    paid, invoiced = Q(is_paid=True), Q(issued_invoice__isnull=False)
    return facts.aggregate(
        client_paid=Count("pk", filter=to_client & paid),
        client_unpaid=Count("pk", filter=to_client & ~paid),
        payer_invoiced=Count("pk", filter=to_payer & invoiced),
        payer_paid=Count("pk", filter=to_payer & paid),
        payer_not_invoiced=Count("pk", filter=to_payer & ~invoiced),
        not_billed=Count("pk", filter=Q(bill_to=BillTo.NOT_BILLED)),
    )
