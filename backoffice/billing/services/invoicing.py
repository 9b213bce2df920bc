"""Invoices: the month run, issuing, voiding, credit notes.

The model, in one place:

- A **draft** invoice gathers a month's billable sessions for one bill-to: a payer (its
  `bill_to_key` is ``payer:<id>``), a payer's client when the payer wants one invoice per
  client (``payer:<id>:client:<id>``), or a self-paying client (``client:<id>``). Staff may
  edit a draft (lines, notes, due date); running the month again adds new sessions to it.
- **Issuing** gives the next INV number of the year, the issue and due dates and the
  language; from then on the invoice and its lines never change in place.
- **Void** cancels an issued invoice that nothing has been paid on: it keeps its number and
  lines (marked void), and its sessions become billable again. A draft has no number (the
  schema requires one once it leaves draft), so "voiding" a draft discards it: the draft and
  its lines are deleted, and history keeps them with the reason.
- A **credit note** cancels some or all lines of an issued invoice (payments allowed): a new
  issued document (kind credit-note, a CN number) with negative lines that name no
  appointment; the credited lines of the original are marked void, so their sessions are
  billable again, on a supplementary invoice of the same bill-to and period.
- **Supplementary invoices**: when the invoice of a bill-to and period is already issued,
  sessions found later go on a new draft keyed ``<key>#2`` (``#3``…), because the database
  allows one live invoice per key and period.

A session (appointment) is on one live line at most (`appointment_on_one_live_line`), and a
bill-to has one live invoice per period (`one_live_invoice_per_bill_to_and_period`): those
constraints make two concurrent runs end as one (QUALITY R1).
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.billing.models import (
    DocumentSeries,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentAllocation,
)
from backoffice.billing.payer_limits import BILLABLE, OVER_MISSED_CAP, payer_limits_for_month
from backoffice.billing.services.numbering import document_number_next
from backoffice.billing.services.payments import (
    session_allocations_detach,
    session_money_attach,
    session_money_waiting,
)
from backoffice.billing.sessions import (
    BILLABLE_STATUSES,
    MISSED_LABELS,
    BillTo,
    client_unit_amount,
    line_amounts,
    session_bill_to,
)
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

ZERO = Decimal("0.00")
CLIENT_TERMS_DAYS = 30


class GeneratedInvoices(list):
    """The invoices a month run created or added lines to, with what staff should know."""

    def __init__(self, invoices=(), *, warnings=(), lines_added_count=0, created_count=0):
        super().__init__(invoices)
        self.warnings: list[str] = list(warnings)
        self.lines_added_count: int = lines_added_count
        self.created_count: int = created_count


# --- amounts -------------------------------------------------------------------------------


def _live_totals(invoice: Invoice) -> dict:
    sums = invoice.lines.filter(is_void=False).aggregate(
        subtotal=Sum("unit_amount"), tax=Sum("tax_amount"), total=Sum("total_amount")
    )
    return {key: value or ZERO for key, value in sums.items()}


def _save(instance, *, by=None, reason: str = "", **kwargs) -> None:
    """Save with the staff member and the reason in its history row."""
    if by is not None:
        instance._history_user = by
    if reason:
        instance._change_reason = reason
    instance.save(**kwargs)


# --- the month run -------------------------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


LINE_COLUMNS = [
    "invoice_id",
    "appointment_id",
    "client_id",
    "therapist_id",
    "authorization_id",
    "service_type_id",
    "service_date",
    "description",
    "unit_amount",
    "tax_rate",
    "tax_amount",
    "total_amount",
    "is_void",
]


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


def _month_sessions(*, first: date, next_first: date, bill_to) -> QuerySet[Appointment]:
    """The month's completed and missed sessions not on a live line, each with who the payer
    rules bill it to (`bill_to`, billing.sessions.session_bill_to)."""
    sessions = Appointment.objects.filter(
        starts_at__gte=_local_midnight(first),
        starts_at__lt=_local_midnight(next_first),
        status__in=BILLABLE_STATUSES,
    )
    if isinstance(bill_to, Payer):
        sessions = sessions.filter(authorization__payer=bill_to)
    elif isinstance(bill_to, Client):
        sessions = sessions.filter(billing_client=bill_to)
    return sessions.exclude(
        Exists(InvoiceLine.objects.filter(appointment=OuterRef("pk"), is_void=False))
    ).annotate(bill_to=session_bill_to())


def _billable_sessions(month: QuerySet[Appointment]) -> list[tuple]:
    """One query: what the month run needs of each session."""
    return list(
        month.order_by("starts_at", "pk").values_list(
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
    )


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
    lines: list[tuple] = field(default_factory=list)
    invoice: Invoice | None = None


def _labels() -> dict[str, dict[str, str]]:
    labels = {}
    for language in Language.values:
        with translation.override(language):
            labels[language] = {status: str(label) for status, label in MISSED_LABELS.items()}
    return labels


def _plan(rows, *, payers, service_types, rates, limits, bill_to) -> tuple[dict, list]:
    """Apply the payer rules and limits to each session: {bill_to_key: _Group}, warnings."""
    groups: dict[str, _Group] = {}
    labels = _labels()
    no_rate = defaultdict(int)
    over_cap = defaultdict(int)
    set_aside = 0
    no_authorization = 0
    local = timezone.get_current_timezone()
    for (
        appointment_id,
        status,
        starts_at,
        fee_amount,
        missed_fee_amount,
        therapist_id,
        client_id,
        client_kind,
        client_language,
        authorization_id,
        payer_id,
        service_type_id,
        billed_to,
    ) in rows:
        service_day = starts_at.astimezone(local).date()
        missed = status in MISSED_STATUSES
        if billed_to == BillTo.CLIENT:
            key, group_payer, group_client = f"client:{client_id}", None, client_id
            language, authorization_id = client_language, None
            unit_amount = client_unit_amount(
                status=status, fee_amount=fee_amount, missed_session_fee_amount=missed_fee_amount
            )
        elif billed_to == BillTo.PAYER:
            payer = payers[payer_id]
            outcome = limits[appointment_id].outcome
            if outcome == OVER_MISSED_CAP:
                over_cap[payer.name] += 1
                continue
            if outcome != BILLABLE:
                set_aside += 1
                continue
            if missed:
                unit_amount = missed_fee_amount
            else:
                unit_amount = rates.amount(
                    payer_id=payer_id, service_type_id=service_type_id, on=service_day
                )
                if unit_amount is None:
                    unit_amount = fee_amount
                    no_rate[(payer.name, service_types[service_type_id].name)] += 1
            language, group_payer = payer.language, payer_id
            if payer.invoice_grouping == InvoiceGrouping.PER_CLIENT:
                key, group_client = f"payer:{payer_id}:client:{client_id}", client_id
            else:
                key, group_client = f"payer:{payer_id}", None
        else:
            if not missed and authorization_id is None and client_kind == ClientKind.INDIRECT:
                no_authorization += 1
            continue
        if isinstance(bill_to, Client) and key != f"client:{bill_to.pk}":
            continue
        if isinstance(bill_to, Payer) and group_payer != bill_to.pk:
            continue
        service_type = service_types[service_type_id]
        description = service_type.name_in(language)
        if missed:
            description = f"{description} · {labels[language][status]}"
        tax_amount, total_amount = line_amounts(
            unit_amount=unit_amount, tax_rate=service_type.tax_rate
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(group_payer, group_client, language)
        group.subtotal_amount += unit_amount
        group.tax_amount += tax_amount
        group.lines.append(  # LINE_COLUMNS after invoice_id
            (
                appointment_id,
                client_id,
                therapist_id,
                authorization_id,
                service_type_id,
                service_day,
                description[:200],
                unit_amount,
                service_type.tax_rate,
                tax_amount,
                total_amount,
                False,
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
    month = _month_sessions(first=first, next_first=next_first, bill_to=bill_to)
    rows = _billable_sessions(month)
    payers = {payer.pk: payer for payer in Payer.objects.all()}
    service_types = {service_type.pk: service_type for service_type in ServiceType.objects.all()}
    # Subqueries, not lists of ids: a month's thousands of ids cost more to bind than to run.
    limits = payer_limits_for_month(
        rows=[(row[0], row[9], row[2], row[1]) for row in rows if row[12] == BillTo.PAYER],
        first=first,
        authorization_ids=month.filter(bill_to=BillTo.PAYER).values("authorization_id"),
    )
    groups, warnings = _plan(
        rows,
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
        line_totals={line[0]: line[10] for group in client_groups for line in group.lines},
        sessions=to_clients.values("pk"),
    )
    for group in client_groups:
        group.paid_amount = sum(
            (money[line[0]].amount for line in group.lines if line[0] in money), ZERO
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
            appointment__starts_at__gte=_local_midnight(first),
            appointment__starts_at__lt=_local_midnight(next_first),
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
    fee, to whom `billing.sessions.session_bill_to` says (the payer rules, the one rule
    authorization usage counts by). A payer's sessions also meet its limits
    (`billing.payer_limits`): missed ones past `missed_sessions_billable_count` per
    authorization are not billed; those past the approved sessions or the expiry are set
    aside (reported) for staff to decide. Amounts: the payer's
    rate in force on the session's date (the appointment fee when there is none, with a
    warning), the appointment fee for self-paying clients, the missed-session fee for missed
    sessions; tax at the service type's rate.

    One draft per bill-to and month (per client for payers that want that); a rerun adds new
    sessions to the existing draft and never bills a session twice. `bill_to` (a payer or a
    client) limits the run to that bill-to. The number of queries does not depend on the
    number of sessions (QUALITY P4). A run that collides with a concurrent one (unique
    constraints) starts over and then sees the other run's invoices and lines (QUALITY R1).
    """
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return run_retrying(lambda: _generate_once(first=first, last=last, bill_to=bill_to, by=by))


# --- one invoice's life ----------------------------------------------------------------------


def _locked(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("payer", "client")
        .get(pk=invoice.pk)
    )


@transaction.atomic
def invoice_lines_save(
    *,
    invoice: Invoice,
    lines: Iterable[InvoiceLine] = (),
    removed: Iterable[InvoiceLine] = (),
    by=None,
) -> Invoice:
    """Staff's edits of a draft's lines: each saved line's tax and total follow its amount
    and tax rate, removed lines go, and the draft's totals follow. Refused (nothing saved)
    once the invoice is issued or void, or for a line of another invoice."""
    invoice = _locked(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(_("Only a draft invoice can change."))
    lines, removed = list(lines), list(removed)
    if any(line.invoice_id != invoice.pk for line in [*lines, *removed]):
        raise ValidationError(_("A line belongs to another invoice."))
    for line in removed:
        if by is not None:
            line._history_user = by
        line.delete()
    for line in lines:
        line.tax_amount, line.total_amount = line_amounts(
            unit_amount=line.unit_amount, tax_rate=line.tax_rate
        )
        _save(line, by=by)
    return invoice_totals_refresh(invoice=invoice, by=by)


@transaction.atomic
def invoice_totals_refresh(*, invoice: Invoice, by=None) -> Invoice:
    """Recompute a draft's subtotal, tax and total from its live lines (after edits)."""
    invoice = _locked(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(_("Only a draft invoice can change."))
    # Money paid at a session whose line was removed waits on the session again.
    session_allocations_detach(
        invoice=invoice,
        appointment_ids=PaymentAllocation.objects.filter(invoice=invoice)
        .exclude(
            appointment__invoice_lines__invoice=invoice, appointment__invoice_lines__is_void=False
        )
        .values_list("appointment_id", flat=True),
        by=by,
    )
    totals = _live_totals(invoice)
    invoice.subtotal_amount = totals["subtotal"]
    invoice.tax_amount = totals["tax"]
    invoice.total_amount = totals["total"]
    _save(invoice, by=by)
    return invoice


@transaction.atomic
def invoice_issue(*, invoice: Invoice, issued_on: date | None = None, by=None) -> Invoice:
    """Issue a draft: the next INV number of the issue year, issue and due dates, language.

    Due: the due date staff set on the draft, else the payer's terms (30 days for a client)
    after issue. Totals are recomputed from the lines, which are frozen from now on.
    """
    invoice = _locked(invoice)
    if invoice.status != InvoiceStatus.DRAFT or invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError(_("Only a draft invoice can be issued."))
    totals = _live_totals(invoice)
    if not invoice.lines.filter(is_void=False).exists():
        raise ValidationError(_("This draft has no lines to invoice."))
    issued_on = issued_on or timezone.localdate()
    if invoice.payer_id:
        terms_days, language = invoice.payer.invoice_terms_days, invoice.payer.language
    else:
        terms_days, language = CLIENT_TERMS_DAYS, invoice.client.preferred_language
    invoice.number = document_number_next(series=DocumentSeries.INVOICE, year=issued_on.year)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_on = issued_on
    if invoice.due_on is None or invoice.due_on < issued_on:
        invoice.due_on = issued_on + timedelta(days=terms_days)
    invoice.language = language
    invoice.subtotal_amount = totals["subtotal"]
    invoice.tax_amount = totals["tax"]
    invoice.total_amount = totals["total"]
    _save(invoice, by=by, reason=_("Issued"))
    return invoice


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str, by=None) -> Invoice:
    """Cancel an invoice nothing has been paid on; its sessions become billable again.

    Issued: status void with the reason; number, amounts and lines are kept, lines marked
    void. Draft (no number yet): discarded, i.e. deleted with its lines; history keeps both
    with the reason. Credit notes and invoices with payments are refused: credit them.
    """
    invoice = _locked(invoice)
    if not reason.strip():
        raise ValidationError(_("Say why the invoice is voided."))
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError(_("A credit note cannot be voided."))
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(_("This invoice is already void."))
    if invoice.status == InvoiceStatus.DRAFT:
        # Sessions paid at the session keep their money for the draft that bills them next.
        session_allocations_detach(invoice=invoice, by=by)
    if invoice.paid_amount or PaymentAllocation.objects.filter(invoice=invoice).exists():
        raise ValidationError(
            _("Payments are allocated to %(invoice)s: issue a credit note instead.")
            % {"invoice": invoice}
        )
    lines = list(invoice.lines.filter(is_void=False))
    if invoice.status == InvoiceStatus.DRAFT:
        invoice.lines.all().delete()  # a history row per line (signals)
        invoice._history_user = by
        invoice._change_reason = reason
        invoice.delete()
        invoice.status = InvoiceStatus.VOID
        return invoice
    for line in lines:
        line.is_void = True
    bulk_update_with_history(
        lines, InvoiceLine, ["is_void"], default_user=by, default_change_reason=reason
    )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.void_reason = reason
    _save(invoice, by=by, reason=reason)
    return invoice


@transaction.atomic
def invoice_credit(
    *,
    invoice: Invoice,
    reason: str,
    lines: list[InvoiceLine] | None = None,
    issued_on: date | None = None,
    by=None,
) -> Invoice:
    """Issue a credit note (CN number) for some or all live lines of an issued invoice.

    The credit note mirrors each credited line with negative amounts and no appointment; the
    credited lines are marked void on the original, whose number and amounts stay as sent,
    so their sessions can be billed again (on a supplementary invoice).
    """
    invoice = _locked(invoice)
    if not reason.strip():
        raise ValidationError(_("Say why the invoice is credited."))
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(_("Only an issued invoice can be credited."))
    live = list(invoice.lines.filter(is_void=False))
    if lines is not None:
        wanted = {line.pk for line in lines}
        credited = [line for line in live if line.pk in wanted]
        if len(credited) != len(wanted):
            raise ValidationError(_("Some lines are not live lines of this invoice."))
    else:
        credited = live
    if not credited:
        raise ValidationError(_("Nothing left to credit on this invoice."))
    issued_on = issued_on or timezone.localdate()
    subtotal = -sum((line.unit_amount for line in credited), ZERO)
    tax = -sum((line.tax_amount for line in credited), ZERO)
    credit_note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.ISSUED,
        number=document_number_next(series=DocumentSeries.CREDIT_NOTE, year=issued_on.year),
        payer_id=invoice.payer_id,
        client_id=invoice.client_id,
        bill_to_key=invoice.bill_to_key,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issued_on=issued_on,
        due_on=issued_on,
        language=invoice.language,
        subtotal_amount=subtotal,
        tax_amount=tax,
        total_amount=subtotal + tax,
        credited_invoice=invoice,
        notes=reason,
    )
    _save(credit_note, by=by, reason=reason)
    with translation.override(invoice.language):
        prefix = _("Credit")
    bulk_create_with_history(
        [
            InvoiceLine(
                invoice=credit_note,
                appointment=None,
                client_id=line.client_id,
                therapist_id=line.therapist_id,
                authorization_id=line.authorization_id,
                service_type_id=line.service_type_id,
                service_date=line.service_date,
                description=f"{prefix} {invoice.number}: {line.description}"[:200],
                unit_amount=-line.unit_amount,
                tax_rate=line.tax_rate,
                tax_amount=-line.tax_amount,
                total_amount=-line.total_amount,
            )
            for line in credited
        ],
        InvoiceLine,
        default_user=by,
        default_change_reason=reason,
    )
    for line in credited:
        line.is_void = True
    bulk_update_with_history(
        credited, InvoiceLine, ["is_void"], default_user=by, default_change_reason=reason
    )
    # Money paid at a credited session waits on it for the supplementary invoice.
    session_allocations_detach(
        invoice=invoice, appointment_ids=[line.appointment_id for line in credited], by=by
    )
    return credit_note
