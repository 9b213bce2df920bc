"""What billing says about one session, in one place: who it is billed to and what it costs
its client (whether it is paid is `scheduling.selectors.session_paid`).

Authorization usage and the client colour (billing.selectors), the month run and session
payments (billing.services) and the payer-limit lists all read these, so they cannot disagree
(docs/architecture.md, Billing).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from backoffice.billing.models import SetAsideOutcome
from backoffice.caseload.models import ClientKind, MissedSessionBilling
from backoffice.scheduling.models import MISSED_STATUSES, AppointmentStatus

CENT = Decimal("0.01")
# What a missed session's line says after the service's name.
MISSED_LABELS = {
    AppointmentStatus.LATE_CANCELLED: _("late cancellation"),
    AppointmentStatus.NO_SHOW: _("no-show"),
}
# Outcomes that can be billed; a scheduled session may be paid ahead, never invoiced.
BILLABLE_STATUSES = (AppointmentStatus.COMPLETED, *MISSED_STATUSES)

# Who pays: the payer rules' own choices (not billed / the payer / the client).
BillTo = MissedSessionBilling


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


def line_amounts(*, unit_amount: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(tax, total) of a line: tax rounded to the cent, half up."""
    tax_amount = (unit_amount * tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return tax_amount, unit_amount + tax_amount


def client_unit_amount(
    *, status: str, fee_amount: Decimal, missed_session_fee_amount: Decimal | None
) -> Decimal:
    """What a session billed to its client costs before tax: the missed-session fee for a late
    cancellation or no-show, else the appointment's fee."""
    return missed_session_fee_amount if status in MISSED_STATUSES else fee_amount


def session_client_total(appointment) -> Decimal:
    """What a session billed to its client costs, tax included: the total of the line its
    invoice will carry, and what a payment taken at the session pays for it."""
    unit_amount = client_unit_amount(
        status=appointment.status,
        fee_amount=appointment.fee_amount,
        missed_session_fee_amount=appointment.missed_session_fee_amount,
    )
    return line_amounts(unit_amount=unit_amount, tax_rate=appointment.service_type.tax_rate)[1]
