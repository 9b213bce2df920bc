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
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
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
from backoffice.billing.services.numbering import document_number_next
from backoffice.bulk import insert_with_history, run_retrying, whole_batches
from backoffice.caseload.models import (
    Client,
    ClientKind,
    InvoiceGrouping,
    MissedSessionBilling,
    Payer,
    PayerRate,
    ServiceType,
)
from backoffice.fields import Language
from backoffice.scheduling.models import Appointment, AppointmentStatus

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MISSED_STATUSES = (AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW)
CLIENT_TERMS_DAYS = 30


class GeneratedInvoices(list):
    """The invoices a month run created or added lines to, with what staff should know."""

    def __init__(self, invoices=(), *, warnings=(), lines_added_count=0, created_count=0):
        super().__init__(invoices)
        self.warnings: list[str] = list(warnings)
        self.lines_added_count: int = lines_added_count
        self.created_count: int = created_count


# --- amounts -------------------------------------------------------------------------------


def line_amounts(*, unit_amount: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(tax, total) of a line: tax rounded to the cent, half up."""
    tax_amount = (unit_amount * tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return tax_amount, unit_amount + tax_amount


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


def _billable_sessions(*, first: date, next_first: date, bill_to) -> list[tuple]:
    """One query: the month's completed and charged missed sessions not on a live line."""
    sessions = Appointment.objects.filter(
        starts_at__gte=_local_midnight(first), starts_at__lt=_local_midnight(next_first)
    ).filter(
        Q(status=AppointmentStatus.COMPLETED)
        | Q(status__in=MISSED_STATUSES, missed_session_fee_amount__isnull=False)
    )
    if isinstance(bill_to, Payer):
        sessions = sessions.filter(authorization__payer=bill_to)
    elif isinstance(bill_to, Client):
        sessions = sessions.filter(billing_client=bill_to)
    return list(
        sessions.exclude(
            Exists(InvoiceLine.objects.filter(appointment=OuterRef("pk"), is_void=False))
        )
        .order_by("starts_at", "pk")
        .values_list(
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


def _missed_billed_to_payers() -> dict[int, int]:
    """Missed sessions already on live payer lines, per authorization (for the caps)."""
    rows = (
        InvoiceLine.objects.filter(
            is_void=False,
            authorization__isnull=False,
            authorization__payer__missed_sessions_billable_count__isnull=False,
            appointment__status__in=MISSED_STATUSES,
        )
        .values_list("authorization_id")
        .order_by()
        .annotate(n=Count("pk"))
    )
    return dict(rows)


@dataclass
class _Group:
    payer_id: int | None
    client_id: int | None
    language: str
    subtotal_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    lines: list[tuple] = field(default_factory=list)
    invoice: Invoice | None = None


def _labels() -> dict[str, dict[str, str]]:
    labels = {}
    for language in Language.values:
        with translation.override(language):
            labels[language] = {
                AppointmentStatus.LATE_CANCELLED: _("late cancellation"),
                AppointmentStatus.NO_SHOW: _("no-show"),
            }
    return labels


def _plan(rows, *, payers, service_types, rates, missed_billed, bill_to) -> tuple[dict, list]:
    """Apply the payer rules to each session: {bill_to_key: _Group}, warnings."""
    groups: dict[str, _Group] = {}
    labels = _labels()
    no_rate = defaultdict(int)
    over_cap = defaultdict(int)
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
    ) in rows:
        service_day = starts_at.astimezone(local).date()
        missed = status in MISSED_STATUSES
        payer = payers.get(payer_id)
        if payer is not None:
            rule = MissedSessionBilling.PAYER
            if missed:
                rule = (
                    payer.late_cancel_billing
                    if status == AppointmentStatus.LATE_CANCELLED
                    else payer.no_show_billing
                )
            if rule == MissedSessionBilling.NOT_BILLED:
                continue
            if rule == MissedSessionBilling.CLIENT:
                key, group_payer, group_client = f"client:{client_id}", None, client_id
                language, unit_amount, authorization_id = client_language, missed_fee_amount, None
            else:
                if missed and payer.missed_sessions_billable_count is not None:
                    billed = missed_billed.get(authorization_id, 0)
                    if billed >= payer.missed_sessions_billable_count:
                        over_cap[payer.name] += 1
                        continue
                    missed_billed[authorization_id] = billed + 1
                rate_amount = None
                if not missed:
                    rate_amount = rates.amount(
                        payer_id=payer_id, service_type_id=service_type_id, on=service_day
                    )
                if missed:
                    unit_amount = missed_fee_amount
                elif rate_amount is not None:
                    unit_amount = rate_amount
                else:
                    unit_amount = fee_amount
                    no_rate[(payer.name, service_types[service_type_id].name)] += 1
                language, group_payer = payer.language, payer_id
                if payer.invoice_grouping == InvoiceGrouping.PER_CLIENT:
                    key, group_client = f"payer:{payer_id}:client:{client_id}", client_id
                else:
                    key, group_client = f"payer:{payer_id}", None
        elif client_kind == ClientKind.DIRECT:
            key, group_payer, group_client = f"client:{client_id}", None, client_id
            language = client_language
            unit_amount = missed_fee_amount if missed else fee_amount
        else:
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
    )
    rows = _billable_sessions(first=first, next_first=next_first, bill_to=bill_to)
    payers = {payer.pk: payer for payer in Payer.objects.all()}
    service_types = {service_type.pk: service_type for service_type in ServiceType.objects.all()}
    groups, warnings = _plan(
        rows,
        payers=payers,
        service_types=service_types,
        rates=_RatesInForce(),
        missed_billed=_missed_billed_to_payers(),
        bill_to=bill_to,
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
        group.invoice = invoice

    reason = _("Month run %(month)s") % {"month": f"{first:%Y-%m}"}
    _insert_invoices(new_invoices, by=by, reason=reason)
    lines = [(group.invoice.pk, *line) for group in groups.values() for line in group.lines]
    insert_with_history(model=InvoiceLine, columns=LINE_COLUMNS, rows=lines, by=by, reason=reason)
    with whole_batches():
        bulk_update_with_history(
            extended,
            Invoice,
            ["subtotal_amount", "tax_amount", "total_amount"],
            default_user=by,
            default_change_reason=reason,
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

    Billable: completed sessions; late cancellations and no-shows with a missed-session fee,
    billed to the payer when its rule says so (at most `missed_sessions_billable_count` per
    authorization, counting those already billed), to the client when the rule says
    "client", or not at all; every session of a self-paying client. Amounts: the payer's
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
    return credit_note
