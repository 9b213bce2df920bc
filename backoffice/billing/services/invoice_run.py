"""The month run: a month's billable sessions onto draft invoices, one per bill-to.

- A **draft** gathers a month's billable sessions for one bill-to: a payer (its
  `bill_to_key` is ``payer:<id>``), a payer's client when the payer wants one invoice per
  client (``payer:<id>:client:<id>``), or a self-paying client (``client:<id>``). Running
  the month again adds new sessions to it. What happens to it next (edits, issue, void,
  credit) is billing.services.invoice_lifecycle.
- **Supplementary invoices**: when the invoice of a bill-to and period is already issued,
  sessions found later go on a new draft keyed ``<key>#2`` (``#3``…), because the database
  allows one live invoice per key and period.

A session (appointment) is on one live line at most (`appointment_on_one_live_line`), and a
bill-to has one live invoice per period (`one_live_invoice_per_bill_to_and_period`): those
constraints make two concurrent runs end as one (docs/quality.md, concurrent runs).
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from backoffice.billing.models import (
    MISSED_LABELS,
    BillTo,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentAllocation,
    client_unit_amount,
    line_amounts,
)
from backoffice.billing.selectors import (
    BILLABLE,
    OVER_MISSED_CAP,
    month_sessions_unbilled,
    payer_limits_for_month,
)
from backoffice.billing.services.payments import session_money_attach, session_money_waiting
from backoffice.billing.signals import invoice_run_finished
from backoffice.bulk import insert_with_history, run_retrying, whole_batches
from backoffice.caseload.models import (
    Client,
    ClientKind,
    InvoiceGrouping,
    Payer,
    PayerRate,
    ServiceType,
)
from backoffice.fields import Language
from backoffice.scheduling.models import MISSED_STATUSES, Appointment
from backoffice.zone_data import local_midnight, month_bounds

ZERO = Decimal("0.00")


class BillableSession(NamedTuple):
    """What the month run needs of one session (`_billable_sessions`, one query)."""

    appointment_id: int
    status: str
    starts_at: datetime
    fee_amount: Decimal
    missed_session_fee_amount: Decimal | None
    therapist_id: int
    client_id: int
    client_kind: str
    client_language: str
    authorization_id: int | None
    payer_id: int | None
    service_type_id: int
    bill_to: str  # a BillTo value (billing.selectors.session_bill_to)


class NewLine(NamedTuple):
    """A line the run inserts, in InvoiceLine's columns (its invoice comes once inserted)."""

    appointment_id: int
    client_id: int
    therapist_id: int
    authorization_id: int | None
    service_type_id: int
    service_date: date
    description: str
    unit_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    is_void: bool


LINE_COLUMNS = ["invoice_id", *NewLine._fields]


class GeneratedInvoices(list):
    """The invoices a month run created or added lines to, with what staff should know."""

    def __init__(self, invoices=(), *, warnings=(), lines_added_count=0, created_count=0):
        super().__init__(invoices)
        self.warnings: list[str] = list(warnings)
        self.lines_added_count: int = lines_added_count
        self.created_count: int = created_count


def _insert_invoices(invoices: list[Invoice], *, by, reason: str) -> None:
    """Insert new invoices (with history) and set their ids."""
    fields = [f for f in Invoice._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    for invoice in invoices:
        invoice.created_at = now  # auto_now_add, which only save() and bulk_create apply
    stamp = connection.ops.adapt_datetimefield_value(now)
    rows = [
        tuple(stamp if f.attname == "created_at" else getattr(invoice, f.attname) for f in fields)
        for invoice in invoices
    ]
    ids = insert_with_history(
        model=Invoice, columns=[f.column for f in fields], rows=rows, by=by, reason=reason
    )
    for invoice, invoice_id in zip(invoices, ids, strict=True):
        invoice.pk = invoice_id
        invoice._state.adding, invoice._state.db = False, connection.alias


def _month_sessions(*, first: date, bill_to) -> QuerySet[Appointment]:
    """The month's completed and missed sessions not on a live line, each with who the payer
    rules bill it to (`billing.selectors.month_sessions_unbilled`), of `bill_to` if given."""
    sessions = month_sessions_unbilled(first)
    if isinstance(bill_to, Payer):
        return sessions.filter(authorization__payer=bill_to)
    if isinstance(bill_to, Client):
        return sessions.filter(billing_client=bill_to)
    return sessions


def _billable_sessions(month: QuerySet[Appointment]) -> list[BillableSession]:
    """One query: what the month run needs of each session, in date order."""
    rows = month.order_by("starts_at", "pk").values_list(
        "pk",
        "status",
        "starts_at",
        "fee_amount",
        "missed_session_fee_amount",
        "therapist_id",
        "billing_client_id",
        "billing_client__kind",
        "billing_client__preferred_language",
        "authorization_id",
        "authorization__payer_id",
        "service_type_id",
        "bill_to",
    )
    return [BillableSession._make(row) for row in rows]


class _RatesInForce:
    """Every payer rate, read once; the one in force for a payer, service and day."""

    def __init__(self):
        self.by_key = defaultdict(lambda: ([], []))
        rows = PayerRate.objects.order_by("effective_from").values_list(
            "payer_id", "service_type_id", "effective_from", "amount"
        )
        for payer_id, service_type_id, effective_from, amount in rows:
            days, amounts = self.by_key[(payer_id, service_type_id)]
            days.append(effective_from)
            amounts.append(amount)

    def amount(self, *, payer_id: int, service_type_id: int, on: date) -> Decimal | None:
        days, amounts = self.by_key.get((payer_id, service_type_id), ((), ()))
        index = bisect_right(days, on)
        return amounts[index - 1] if index else None


@dataclass
class _Group:
    payer_id: int | None
    client_id: int | None
    language: str
    subtotal_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO  # paid at the session
    lines: list[NewLine] = field(default_factory=list)
    invoice: Invoice | None = None


def _labels() -> dict[str, dict[str, str]]:
    labels = {}
    for language in Language.values:
        with translation.override(language):
            labels[language] = {status: str(label) for status, label in MISSED_LABELS.items()}
    return labels


def _plan(
    sessions: list[BillableSession], *, payers, service_types, rates, limits, bill_to
) -> tuple[dict, list]:
    """Apply the payer rules and limits to each session: {bill_to_key: _Group}, warnings."""
    groups: dict[str, _Group] = {}
    labels = _labels()
    no_rate = defaultdict(int)
    over_cap = defaultdict(int)
    set_aside = 0
    no_authorization = 0
    local = timezone.get_current_timezone()
    for session in sessions:
        service_day = session.starts_at.astimezone(local).date()
        missed = session.status in MISSED_STATUSES
        authorization_id = session.authorization_id
        if session.bill_to == BillTo.CLIENT:
            key, group_payer, group_client = f"client:{session.client_id}", None, session.client_id
            language, authorization_id = session.client_language, None
            unit_amount = client_unit_amount(
                status=session.status,
                fee_amount=session.fee_amount,
                missed_session_fee_amount=session.missed_session_fee_amount,
            )
        elif session.bill_to == BillTo.PAYER:
            payer = payers[session.payer_id]
            outcome = limits[session.appointment_id].outcome
            if outcome == OVER_MISSED_CAP:
                over_cap[payer.name] += 1
                continue
            if outcome != BILLABLE:
                set_aside += 1
                continue
            if missed:
                unit_amount = session.missed_session_fee_amount
            else:
                unit_amount = rates.amount(
                    payer_id=payer.pk, service_type_id=session.service_type_id, on=service_day
                )
                if unit_amount is None:
                    unit_amount = session.fee_amount
                    no_rate[(payer.name, service_types[session.service_type_id].name)] += 1
            language, group_payer = payer.language, payer.pk
            if payer.invoice_grouping == InvoiceGrouping.PER_CLIENT:
                key = f"payer:{payer.pk}:client:{session.client_id}"
                group_client = session.client_id
            else:
                key, group_client = f"payer:{payer.pk}", None
        else:
            if (
                not missed
                and authorization_id is None
                and session.client_kind == ClientKind.INDIRECT
            ):
                no_authorization += 1
            continue
        if isinstance(bill_to, Client) and key != f"client:{bill_to.pk}":
            continue
        if isinstance(bill_to, Payer) and group_payer != bill_to.pk:
            continue
        service_type = service_types[session.service_type_id]
        description = service_type.name_in(language)
        if missed:
            description = f"{description} · {labels[language][session.status]}"
        tax_amount, total_amount = line_amounts(
            unit_amount=unit_amount, tax_rate=service_type.tax_rate
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(group_payer, group_client, language)
        group.subtotal_amount += unit_amount
        group.tax_amount += tax_amount
        group.lines.append(
            NewLine(
                appointment_id=session.appointment_id,
                client_id=session.client_id,
                therapist_id=session.therapist_id,
                authorization_id=authorization_id,
                service_type_id=session.service_type_id,
                service_date=service_day,
                description=description[:200],
                unit_amount=unit_amount,
                tax_rate=service_type.tax_rate,
                tax_amount=tax_amount,
                total_amount=total_amount,
                is_void=False,
            )
        )
    warnings = [
        _(
            "%(payer)s has no rate for %(service)s on %(count)d session(s): "
            "the appointment fee was billed."
        )
        % {"payer": payer_name, "service": service_name, "count": count}
        for (payer_name, service_name), count in sorted(no_rate.items())
    ]
    warnings += [
        _("%(payer)s: %(count)d missed session(s) over the per-authorization limit, not billed.")
        % {"payer": payer_name, "count": count}
        for payer_name, count in sorted(over_cap.items())
    ]
    if set_aside:
        warnings.append(
            _(
                "%(count)d session(s) past their authorization's approved sessions or expiry "
                "were set aside, not billed: decide for each under Sessions set aside."
            )
            % {"count": set_aside}
        )
    if no_authorization:
        warnings.append(
            _("%(count)d session(s) of indirect clients have no authorization: not billed.")
            % {"count": no_authorization}
        )
    return groups, warnings


def _generate_once(*, first: date, last: date, bill_to, by) -> GeneratedInvoices:
    next_first = last + timedelta(days=1)
    # Locked so a concurrent run adding to the same drafts waits, then sees our lines.
    live = list(
        Invoice.objects.select_for_update()
        .filter(kind=InvoiceKind.INVOICE, period_start=first)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("pk")
    )
    month = _month_sessions(first=first, bill_to=bill_to)
    sessions = _billable_sessions(month)
    payers = {payer.pk: payer for payer in Payer.objects.all()}
    service_types = {service_type.pk: service_type for service_type in ServiceType.objects.all()}
    # Subqueries, not lists of ids: a month's thousands of ids cost more to bind than to run.
    limits = payer_limits_for_month(
        rows=[
            (s.appointment_id, s.authorization_id, s.starts_at, s.status)
            for s in sessions
            if s.bill_to == BillTo.PAYER
        ],
        first=first,
        authorization_ids=month.filter(bill_to=BillTo.PAYER).values("authorization_id"),
    )
    groups, warnings = _plan(
        sessions,
        payers=payers,
        service_types=service_types,
        rates=_RatesInForce(),
        limits=limits,
        bill_to=bill_to,
    )

    # Sessions their clients paid at the session: the money goes on their lines, read under
    # the clients' locks (the lock order of billing.services.payments).
    to_clients = month.filter(bill_to=BillTo.CLIENT)
    list(
        Client.objects.select_for_update()
        .filter(pk__in=to_clients.values("billing_client_id"))
        .order_by("pk")
        .values_list("pk")
    )
    client_groups = [group for group in groups.values() if group.payer_id is None]
    money = session_money_waiting(
        line_totals={
            line.appointment_id: line.total_amount
            for group in client_groups
            for line in group.lines
        },
        sessions=to_clients.values("pk"),
    )
    for group in client_groups:
        group.paid_amount = sum(
            (
                money[line.appointment_id].amount
                for line in group.lines
                if line.appointment_id in money
            ),
            ZERO,
        )

    drafts: dict[str, Invoice] = {}
    taken: dict[str, int] = defaultdict(int)  # highest live invoice of each bill-to: 1, #2…
    for invoice in live:
        base, _sep, suffix = invoice.bill_to_key.partition("#")
        taken[base] = max(taken[base], int(suffix or 1))
        if invoice.status == InvoiceStatus.DRAFT:
            drafts[base] = invoice

    new_invoices, extended = [], []
    for key, group in groups.items():
        subtotal, tax = group.subtotal_amount, group.tax_amount
        invoice = drafts.get(key)
        if invoice is None:
            invoice = Invoice(
                kind=InvoiceKind.INVOICE,
                status=InvoiceStatus.DRAFT,
                payer_id=group.payer_id,
                client_id=group.client_id,
                bill_to_key=f"{key}#{taken[key] + 1}" if taken[key] else key,
                period_start=first,
                period_end=last,
                language=group.language,
            )
            new_invoices.append(invoice)
        else:
            extended.append(invoice)
        invoice.subtotal_amount += subtotal
        invoice.tax_amount += tax
        invoice.total_amount += subtotal + tax
        invoice.paid_amount += group.paid_amount
        group.invoice = invoice

    reason = _("Month run %(month)s") % {"month": f"{first:%Y-%m}"}
    _insert_invoices(new_invoices, by=by, reason=reason)
    lines = [(group.invoice.pk, *line) for group in groups.values() for line in group.lines]
    insert_with_history(model=InvoiceLine, columns=LINE_COLUMNS, rows=lines, by=by, reason=reason)
    with whole_batches():
        bulk_update_with_history(
            extended,
            Invoice,
            ["subtotal_amount", "tax_amount", "total_amount", "paid_amount"],
            default_user=by,
            default_change_reason=reason,
        )
    session_money_attach(
        money=money,
        allocations=PaymentAllocation.objects.filter(
            invoice__isnull=True,
            appointment__starts_at__gte=local_midnight(first),
            appointment__starts_at__lt=local_midnight(next_first),
        ),
        by=by,
    )
    return GeneratedInvoices(
        [*new_invoices, *extended],
        warnings=warnings,
        lines_added_count=len(lines),
        created_count=len(new_invoices),
    )


@transaction.atomic
def invoices_generate(
    *, month: date, bill_to: Payer | Client | None = None, by=None
) -> GeneratedInvoices:
    """Put a month's billable sessions on draft invoices; returns the invoices touched.

    Billable: completed sessions, and late cancellations and no-shows with a missed-session
    fee, to whom `billing.selectors.session_bill_to` says (the payer rules, the one rule
    authorization usage counts by). A payer's sessions also meet its limits
    (`billing.selectors.payer_limits`): missed ones past `missed_sessions_billable_count` per
    authorization are not billed; those past the approved sessions or the expiry are set
    aside (reported) for staff to decide. Amounts: the payer's
    rate in force on the session's date (the appointment fee when there is none, with a
    warning), the appointment fee for self-paying clients, the missed-session fee for missed
    sessions; tax at the service type's rate.

    One draft per bill-to and month (per client for payers that want that); a rerun adds new
    sessions to the existing draft and never bills a session twice. `bill_to` (a payer or a
    client) limits the run to that bill-to. The number of queries does not depend on the
    number of sessions (docs/quality.md, month runs). A run over the whole month sends
    `billing.signals.invoice_run_finished` with its warnings. A run that collides with a concurrent
    one (unique constraints) starts over and then sees the other run's invoices and lines
    (docs/quality.md, concurrent runs).
    """
    first, last = month_bounds(month)
    result = run_retrying(lambda: _generate_once(first=first, last=last, bill_to=bill_to, by=by))
    if bill_to is None:  # a run for one bill-to says nothing of the whole month's problems
        invoice_run_finished.send(sender=Invoice, month=first, problems=list(result.warnings))
    return result
