"""One invoice's life: staff's edits of a draft, issuing, voiding, credit notes.

- A **draft** invoice (from the month run, billing.services.invoice_run) may be edited by
  staff: lines, notes, due date.
- **Issuing** gives the next INV number of the year, the issue and due dates and the
  language; from then on the invoice and its lines never change in place. Staff's "issue and
  send" issues the selected drafts, then sends (billing.services.sending).
- **Void** cancels an issued invoice that nothing has been paid on: it keeps its number and
  lines (marked void), and its sessions become billable again. A draft has no number (the
  schema requires one once it leaves draft), so "voiding" a draft discards it: the draft and
  its lines are deleted, and history keeps them with the reason.
- A **credit note** cancels some or all lines of an issued invoice (payments allowed): a new
  issued document (kind credit-note, a CN number) with negative lines that name no
  appointment; the credited lines of the original are marked void, so their sessions are
  billable again, on a supplementary invoice of the same bill-to and period.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
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
    line_amounts,
)
from backoffice.billing.services.numbering import document_number_next
from backoffice.billing.services.payments import session_allocations_detach
from backoffice.billing.services.sending import invoices_send_later
from backoffice.messaging.services.documents import SendBatch

ZERO = Decimal("0.00")
CLIENT_TERMS_DAYS = 30


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


def invoices_issue_and_send_later(*, invoices, by=None) -> SendBatch:
    """Issue the selected drafts, then send them with the issued ones through the worker
    (`invoices_send_later`); a draft that cannot be issued is reported and not sent."""
    refused, issued = [], []
    for invoice in invoices:
        if invoice.status == InvoiceStatus.DRAFT:
            try:
                invoice = invoice_issue(invoice=invoice, by=by)
            except ValidationError as error:
                refused.append(f"{invoice}: {' '.join(error.messages)}")
                continue
        issued.append(invoice)
    batch = invoices_send_later(invoices=issued, by=by)
    batch.refused[:0] = refused
    return batch


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
