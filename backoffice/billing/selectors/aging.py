"""Receivables: what each invoice still owes, and the aging of what payers and clients owe.

Open balance of an issued invoice = total - paid - what its issued credit notes take off
(credit notes carry negative totals). Aging counts days past the *invoice date* (`issued_on`):
it is the date payers' remittances and clients' statements use, and every issued invoice has
one, while a due date depends on terms. Overdue is separate: past `due_on` with a balance.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.billing.models import Invoice, InvoiceKind, InvoiceStatus
from backoffice.caseload.models import Client

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)

# (key, label, first day past the invoice date, last day or None)
BUCKETS = [
    ("current", _("0–30 days"), 0, 30),
    ("days_31_60", _("31–60 days"), 31, 60),
    ("days_61_90", _("61–90 days"), 61, 90),
    ("days_over_90", _("Over 90 days"), 91, None),
]


def _credited_amount() -> Coalesce:
    """What issued credit notes take off the invoice, as a positive amount (a subquery)."""
    credited = (
        Invoice.objects.filter(
            credited_invoice=OuterRef("pk"),
            kind=InvoiceKind.CREDIT_NOTE,
            status=InvoiceStatus.ISSUED,
        )
        .order_by()
        .values("credited_invoice")
        .annotate(total=Sum("total_amount"))
        .values("total")
    )
    return Coalesce(-Subquery(credited, output_field=MONEY), Value(ZERO), output_field=MONEY)


def invoices_with_open_amount(queryset: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Invoices annotated with `credited_amount` and `open_amount` (per-row subquery)."""
    queryset = Invoice.objects.all() if queryset is None else queryset
    return queryset.annotate(credited_amount=_credited_amount()).annotate(
        open_amount=ExpressionWrapper(
            F("total_amount") - F("paid_amount") - F("credited_amount"), output_field=MONEY
        )
    )


class PaymentState(models.TextChoices):
    OPEN = "open", _("Open")
    PARTLY_PAID = "partly-paid", _("Partly paid")
    PAID = "paid", _("Paid")


def invoices_with_payment_state(queryset: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Invoices with `open_amount` and `payment_state` (PaymentState): paid when nothing is
    left to pay, partly paid when some money came (paid at the session, or allocated), else
    open; None for credit notes and void invoices. Drafts too: a draft is born paid when its
    sessions were paid at the session."""
    return invoices_with_open_amount(queryset).annotate(
        payment_state=Case(
            When(~Q(kind=InvoiceKind.INVOICE) | Q(status=InvoiceStatus.VOID), then=Value(None)),
            When(open_amount__lte=0, total_amount__gt=0, then=Value(PaymentState.PAID)),
            When(paid_amount__gt=0, then=Value(PaymentState.PARTLY_PAID)),
            default=Value(PaymentState.OPEN),
            output_field=CharField(),
        )
    )


def invoices_receivable() -> QuerySet[Invoice]:
    """Issued invoices (not credit notes) that still have something to pay. Credit notes only
    lower what is open, so a paid invoice is skipped before its credit subquery runs (half
    the time over five years of invoices)."""
    return invoices_with_open_amount(
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.ISSUED,
            total_amount__gt=F("paid_amount"),
        )
    ).filter(open_amount__gt=0)


@dataclass
class AgingRow:
    """What one bill-to owes, by age; `payer_id` or `client_id` names it."""

    kind: str  # "payer" or "client"
    pk: int
    name: str
    buckets: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO
    overdue_count: int = 0
    overdue_amount: Decimal = ZERO
    invoice_count: int = 0


@dataclass
class AgingReport:
    on: date
    payers: list[AgingRow]
    clients: list[AgingRow]
    totals: dict[str, Decimal]
    total: Decimal
    overdue_amount: Decimal
    buckets: list = field(default_factory=lambda: BUCKETS)


def _bucket_sums(on: date) -> dict:
    sums = {}
    for key, _label, first_day, last_day in BUCKETS:
        # Invoice date between (on - last_day) and (on - first_day); a future-dated invoice
        # is owed but not aged yet, so "current" has no upper edge.
        condition = Q(issued_on__lte=on - timedelta(days=first_day)) if first_day else Q()
        if last_day is not None:
            condition &= Q(issued_on__gte=on - timedelta(days=last_day))
        sums[key] = Coalesce(
            Sum(Case(When(condition, then=F("open_amount")), default=Value(ZERO))),
            Value(ZERO),
            output_field=MONEY,
        )
    return sums


def receivables_by_age(*, on: date) -> dict[str, Decimal]:
    """What all bill-tos owe, by age (the keys of BUCKETS) and `total`: the receivables
    report's totals row in one aggregate."""
    return invoices_receivable().aggregate(
        **_bucket_sums(on),
        total=Coalesce(Sum("open_amount"), Value(ZERO), output_field=MONEY),
    )


def receivables_aging(*, on: date | None = None) -> AgingReport:
    """Open balances per payer and per direct bill-to client, split by days past the invoice
    date, with overdue invoices (past `due_on`) counted. Two GROUP BY queries in all.

    An invoice dated after `on` counts in the first bucket.
    """
    on = on or timezone.localdate()
    overdue = Q(due_on__lt=on)
    aggregates = {
        **_bucket_sums(on),
        "total": Coalesce(Sum("open_amount"), Value(ZERO), output_field=MONEY),
        "overdue_amount": Coalesce(
            Sum(Case(When(overdue, then=F("open_amount")), default=Value(ZERO))),
            Value(ZERO),
            output_field=MONEY,
        ),
        "overdue_count": Sum(Case(When(overdue, then=Value(1)), default=Value(0))),
        "invoice_count": Sum(Value(1)),
    }
    receivable = invoices_receivable().order_by()
    payer_rows = (
        receivable.filter(payer__isnull=False)
        .values("payer_id", "payer__name")
        .annotate(**aggregates)
        .order_by("payer__name", "payer_id")
    )
    client_rows = (
        receivable.filter(payer__isnull=True)
        .values("client_id", "client__last_name", "client__first_name")
        .annotate(**aggregates)
        .order_by("client__last_name", "client__first_name", "client_id")
    )
    keys = [key for key, *_rest in BUCKETS]

    def row(kind: str, values: dict) -> AgingRow:
        if kind == "payer":
            pk, name = values["payer_id"], values["payer__name"]
        else:
            pk = values["client_id"]
            name = Client(
                first_name=values["client__first_name"], last_name=values["client__last_name"]
            ).listed_name
        return AgingRow(
            kind=kind,
            pk=pk,
            name=name,
            buckets={key: values[key] for key in keys},
            total=values["total"],
            overdue_count=values["overdue_count"] or 0,
            overdue_amount=values["overdue_amount"],
            invoice_count=values["invoice_count"] or 0,
        )

    payers = [row("payer", values) for values in payer_rows]
    clients = [row("client", values) for values in client_rows]
    everyone = payers + clients
    return AgingReport(
        on=on,
        payers=payers,
        clients=clients,
        totals={key: sum((r.buckets[key] for r in everyone), ZERO) for key in keys},
        total=sum((r.total for r in everyone), ZERO),
        overdue_amount=sum((r.overdue_amount for r in everyone), ZERO),
    )
