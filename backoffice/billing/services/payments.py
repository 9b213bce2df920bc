"""Recording payments, allocating them to invoices, paying sessions, issuing receipts.

Every write is one transaction. The payment row and then the invoices (by id) are locked
before any balance is read, so two allocations at once cannot take the same money twice.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from backoffice.billing import sending
from backoffice.billing.aging import invoices_with_open_amount
from backoffice.billing.models import (
    DocumentSeries,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Receipt,
)
from backoffice.billing.services.numbering import document_number_next
from backoffice.caseload.models import Client, Payer
from backoffice.money import money
from backoffice.scheduling.models import Appointment

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Rows per IN (...) list and per bulk write: far under SQLite's and PostgreSQL's limits.
CHUNK = 2000


def chunked(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _money(amount) -> Decimal:
    return Decimal(amount).quantize(CENT)


def history_snapshot(*, model, ids: Sequence[int], by=None) -> None:
    """One "changed" history row per id, copied from the table by INSERT ... SELECT.

    The bulk path of QUALITY R6 without a Python object per row: simple-history's
    bulk_history_create builds and inserts every row field by field, the slowest part of a
    10,000-row import. Same columns, same history_type, same user.
    """
    history = model.history.model
    quote = connection.ops.quote_name
    columns = [field.column for field in model._meta.concrete_fields]
    names = ", ".join(quote(column) for column in columns)
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(by, "pk", None)
    with connection.cursor() as cursor:
        for chunk in chunked(list(ids)):
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({names}, history_date, "  # noqa: S608
                f"history_change_reason, history_type, history_user_id) "
                f"SELECT {names}, %s, NULL, '~', %s FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))})",
                [when, user_id, *chunk],
            )


def invoices_paid_amount_save(*, invoices: Sequence[Invoice], by=None) -> None:
    """Write the invoices' new `paid_amount` and their history: one UPDATE per distinct amount
    and chunk (remittances pay many invoices the same sum), not a CASE per row."""
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for invoice in invoices:
        by_amount[invoice.paid_amount].append(invoice.pk)
    for paid_amount, ids in by_amount.items():
        for chunk in chunked(ids):
            Invoice.objects.filter(pk__in=chunk).update(paid_amount=paid_amount)
    history_snapshot(model=Invoice, ids=[invoice.pk for invoice in invoices], by=by)


def invoices_lock(*, invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    """Lock invoices (in id order, so concurrent writers never deadlock) and read them with
    `open_amount`; chunked so a 10,000-row import stays a handful of queries."""
    ids = sorted(set(invoice_ids))
    invoices = {}
    for chunk in chunked(ids):
        locked = invoices_with_open_amount(
            Invoice.objects.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
        )
        invoices.update((invoice.pk, invoice) for invoice in locked)
    return invoices


def allocation_refusal(
    *, payer_id: int | None, client_id: int | None, invoice: Invoice, amount: Decimal
) -> str | None:
    """Why this amount cannot go to this invoice from this bill-to (None: it can).

    `invoice.open_amount` must be what is still open after any allocation planned before it.
    """
    if amount <= 0:
        return _("An allocation must be more than 0.")
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.ISSUED:
        return _("Invoice %(number)s is not an issued invoice.") % {"number": invoice}
    if payer_id is not None and invoice.payer_id != payer_id:
        return _("Invoice %(number)s is not billed to this payer.") % {"number": invoice}
    if client_id is not None and (invoice.payer_id is not None or invoice.client_id != client_id):
        return _("Invoice %(number)s is not billed to this client.") % {"number": invoice}
    if amount > invoice.open_amount:
        return _("%(amount)s is more than the %(open)s still open on invoice %(number)s.") % {
            "amount": money(amount),
            "open": money(invoice.open_amount),
            "number": invoice,
        }
    return None


def _sessions_mark_paid(*, invoices: Iterable[Invoice], paid_on: dict[int, date], by=None) -> int:
    """Give `paid_at` to the sessions the money now covers: on each invoice, its live lines in
    service-date order, as long as paid + credited covers each whole line. Sessions already
    paid keep their date. Returns how many sessions were marked; history kept (bulk)."""
    covered = {
        invoice.pk: invoice.paid_amount + invoice.credited_amount
        for invoice in invoices
        if invoice.paid_amount > 0
    }
    to_mark: dict[int, datetime] = {}
    for chunk in chunked(list(covered)):
        lines = (
            InvoiceLine.objects.filter(invoice_id__in=chunk, is_void=False)
            .order_by("invoice_id", "service_date", "pk")
            .values_list("invoice_id", "appointment_id", "total_amount")
        )
        running: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for invoice_id, appointment_id, total_amount in lines:
            running[invoice_id] += total_amount
            if running[invoice_id] <= covered[invoice_id] and appointment_id:
                to_mark[appointment_id] = timezone.make_aware(
                    datetime.combine(paid_on[invoice_id], time.min)
                )
    by_day: dict[datetime, list[int]] = defaultdict(list)
    for appointment_id, paid_at in to_mark.items():
        by_day[paid_at].append(appointment_id)
    marked = []
    for paid_at, ids in by_day.items():
        for chunk in chunked(sorted(ids)):
            unpaid = list(
                Appointment.objects.filter(pk__in=chunk, paid_at__isnull=True).values_list(
                    "pk", flat=True
                )
            )
            Appointment.objects.filter(pk__in=unpaid).update(paid_at=paid_at)
            marked += unpaid
    history_snapshot(model=Appointment, ids=marked, by=by)
    return len(marked)


def _allocate_locked(
    *, payment: Payment, allocations: Sequence[tuple[Invoice, Decimal]], by=None
) -> list[PaymentAllocation]:
    """Allocate with `payment` already locked: lock the invoices, check, write, pay sessions."""
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice, amount in allocations:
        amounts[invoice.pk] += _money(amount)
    invoices = invoices_lock(invoice_ids=amounts)
    errors = []
    for invoice_pk, amount in amounts.items():
        refusal = allocation_refusal(
            payer_id=payment.payer_id,
            client_id=payment.client_id,
            invoice=invoices[invoice_pk],
            amount=amount,
        )
        if refusal:
            errors.append(refusal)
    total = sum(amounts.values(), ZERO)
    unallocated = payment.amount - payment.allocated_amount
    if total > unallocated:
        errors.append(
            _("The allocations total %(total)s but only %(unallocated)s of the payment is left.")
            % {"total": total, "unallocated": unallocated}
        )
    if errors:
        raise ValidationError(errors)

    created = bulk_create_with_history(
        [
            PaymentAllocation(payment=payment, invoice_id=invoice_pk, amount=amount)
            for invoice_pk, amount in amounts.items()
        ],
        PaymentAllocation,
        default_user=by,
    )
    for invoice_pk, amount in amounts.items():
        invoices[invoice_pk].paid_amount += amount
    invoices_paid_amount_save(invoices=[invoices[pk] for pk in amounts], by=by)
    payment.allocated_amount += total
    payment._history_user = by
    payment.save(update_fields=["allocated_amount"])
    _sessions_mark_paid(
        invoices=[invoices[pk] for pk in amounts],
        paid_on=dict.fromkeys(amounts, payment.received_on),
        by=by,
    )
    return created


@transaction.atomic
def payment_allocate(
    *, payment: Payment, invoice: Invoice, amount: Decimal, by=None
) -> PaymentAllocation:
    """Put part of a payment's unallocated amount on one issued invoice of the same bill-to.

    Refused (ValidationError) beyond the invoice's open balance or the payment's unallocated
    amount. When the money covers whole sessions, they get `paid_at` = the received date.
    """
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    (allocation,) = _allocate_locked(payment=locked, allocations=[(invoice, amount)], by=by)
    payment.allocated_amount = locked.allocated_amount
    return allocation


@transaction.atomic
def payment_allocate_oldest(*, payment: Payment, by=None) -> list[PaymentAllocation]:
    """Spend a payment's unallocated amount (its credit) on the bill-to's open invoices,
    oldest invoice date first; whatever is left stays as credit."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    left = locked.amount - locked.allocated_amount
    if left <= 0:
        return []
    bill_to = (
        {"payer_id": locked.payer_id}
        if locked.payer_id
        else {"client_id": locked.client_id, "payer__isnull": True}
    )
    plan = []
    candidates = invoices_with_open_amount(
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED, **bill_to)
    ).filter(open_amount__gt=0)
    for invoice in candidates.order_by("issued_on", "pk"):
        if left <= 0:
            break
        amount = min(left, invoice.open_amount)
        plan.append((invoice, amount))
        left -= amount
    allocations = _allocate_locked(payment=locked, allocations=plan, by=by) if plan else []
    payment.allocated_amount = locked.allocated_amount
    return allocations


@transaction.atomic
def payment_record(
    *,
    payer: Payer | None = None,
    client: Client | None = None,
    amount: Decimal,
    received_on: date,
    method: str,
    reference: str = "",
    allocations: Sequence[tuple[Invoice, Decimal]] = (),
    notes: str = "",
    send_receipt: bool = True,
    by=None,
) -> Payment:
    """Record money received from a payer or a client and allocate it to invoices.

    What is not allocated stays on the payment as credit. A client's payment gets a numbered
    receipt, emailed once the transaction commits unless `send_receipt` is False (the demo
    seed: the receipt stays "not sent", for staff to send from its page).
    """
    if (payer is None) == (client is None):
        raise ValidationError(_("A payment comes from a payer or from a client, not both."))
    amount = _money(amount)
    if amount <= 0:
        raise ValidationError(_("A payment must be more than 0."))
    if method not in PaymentMethod.values:
        raise ValidationError(_("Unknown payment method %(method)s.") % {"method": method})
    payment = Payment(
        payer=payer,
        client=client,
        amount=amount,
        received_on=received_on,
        method=method,
        reference=reference,
        notes=notes,
    )
    payment._history_user = by
    payment.save()
    if allocations:
        _allocate_locked(payment=payment, allocations=allocations, by=by)
    if client is not None:
        receipt_issue(payment=payment, send=send_receipt, by=by)
    return payment


def _receipt_number(*, issued_on: date) -> str:
    return document_number_next(series=DocumentSeries.RECEIPT, year=issued_on.year)


def receipt_send_on_commit(*, receipt: Receipt, by=None) -> None:
    """Queue the receipt's email (billing.sending.receipt_send) once the payment is committed;
    a refusal there (e.g. no email address) is logged and leaves the receipt "not sent" for
    staff to send again from its page, never undoing the payment."""
    receipt_pk = receipt.pk

    def send():
        try:
            sending.receipt_send(receipt=Receipt.objects.get(pk=receipt_pk), by=by)
        except ValidationError as error:
            logger.warning("Receipt %s not sent: %s", receipt_pk, error.messages)

    transaction.on_commit(send, robust=True)


@transaction.atomic
def receipt_issue(*, payment: Payment, send: bool = True, by=None) -> Receipt:
    """Number a receipt for a client's payment (RCP-<year>-00001) and send it on commit
    (unless `send` is False)."""
    if payment.client_id is None:
        raise ValidationError(_("Receipts are for clients' payments."))
    issued_on = timezone.localdate()
    receipt = Receipt(
        payment=payment,
        number=_receipt_number(issued_on=issued_on),
        issued_on=issued_on,
    )
    receipt._history_user = by
    receipt.save()
    if send:
        receipt_send_on_commit(receipt=receipt, by=by)
    return receipt
