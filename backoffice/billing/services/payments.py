"""Recording payments, allocating them to invoices, paying sessions, issuing receipts.

Every write is one transaction. The payment row and then the invoices (by id) are locked
before any balance is read, so two allocations at once cannot take the same money twice.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from backoffice.billing.models import (
    BILLABLE_STATUSES,
    BillTo,
    DocumentSeries,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Receipt,
    session_client_total,
)
from backoffice.billing.selectors import invoices_with_open_amount, sessions_with_payment_facts
from backoffice.billing.services import sending
from backoffice.billing.services.numbering import document_number_next
from backoffice.bulk import history_rows_insert
from backoffice.caseload.models import Client, Payer
from backoffice.documents.formatting import money
from backoffice.scheduling.models import Appointment, AppointmentStatus
from backoffice.scheduling.selectors import session_paid
from backoffice.zone_data import local_midnight

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


def invoices_paid_amount_save(*, invoices: Sequence[Invoice], by=None) -> None:
    """Write the invoices' new `paid_amount` and their history: one UPDATE per distinct amount
    and chunk (remittances pay many invoices the same sum), not a CASE per row."""
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for invoice in invoices:
        by_amount[invoice.paid_amount].append(invoice.pk)
    for paid_amount, ids in by_amount.items():
        for chunk in chunked(ids):
            Invoice.objects.filter(pk__among=chunk).update(paid_amount=paid_amount)
    history_rows_insert(
        model=Invoice, ids=[invoice.pk for invoice in invoices], history_type="~", by=by
    )


def invoices_lock(*, invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    """Lock invoices (in id order, so concurrent writers never deadlock) and read them with
    `open_amount`; chunked so a 10,000-row import stays a handful of queries."""
    ids = sorted(set(invoice_ids))
    invoices = {}
    for chunk in chunked(ids):
        locked = invoices_with_open_amount(
            Invoice.objects.select_for_update(of=("self",)).filter(pk__among=chunk).order_by("pk")
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
    midnight = {day: local_midnight(day) for day in set(paid_on.values())}
    for chunk in chunked(list(covered)):
        lines = (
            InvoiceLine.objects.filter(invoice_id__among=chunk, is_void=False)
            .annotate(paid_at_session=Subquery(_session_allocation_of_line().values("amount")))
            .order_by("invoice_id", "service_date", "pk")
            .values_list("invoice_id", "appointment_id", "total_amount", "paid_at_session")
        )
        running: dict[int, Decimal] = defaultdict(lambda: ZERO)
        rest = []
        for invoice_id, appointment_id, total_amount, paid_at_session in lines:
            if paid_at_session is None:
                rest.append((invoice_id, appointment_id, total_amount))
            else:  # its own money is on the invoice: not the money being walked here
                covered[invoice_id] -= paid_at_session
        for invoice_id, appointment_id, total_amount in rest:
            running[invoice_id] += total_amount
            if running[invoice_id] <= covered[invoice_id] and appointment_id:
                to_mark[appointment_id] = midnight[paid_on[invoice_id]]
    by_day: dict[datetime, list[int]] = defaultdict(list)
    for appointment_id, paid_at in to_mark.items():
        by_day[paid_at].append(appointment_id)
    marked = []
    for paid_at, ids in by_day.items():
        for chunk in chunked(sorted(ids)):
            unpaid = list(
                Appointment.objects.filter(pk__among=chunk)
                .exclude(session_paid())
                .values_list("pk", flat=True)
            )
            Appointment.objects.filter(pk__among=unpaid).update(paid_at=paid_at)
            marked += unpaid
    history_rows_insert(model=Appointment, ids=marked, history_type="~", by=by)
    return len(marked)


def _session_allocation_of_line():
    return PaymentAllocation.objects.filter(
        appointment_id=OuterRef("appointment_id"), invoice_id=OuterRef("invoice_id")
    )


def _allocation_errors(
    *,
    payer_id: int | None,
    client_id: int | None,
    unallocated: Decimal,
    invoices: dict[int, Invoice],
    amounts: dict[int, Decimal],
) -> list[str]:
    """Every reason these amounts cannot go on these invoices (`open_amount` annotated) from
    a payment with `unallocated` left; empty when they can."""
    refusals = (
        allocation_refusal(
            payer_id=payer_id, client_id=client_id, invoice=invoices[pk], amount=amount
        )
        for pk, amount in amounts.items()
    )
    errors = [refusal for refusal in refusals if refusal]
    total = sum(amounts.values(), ZERO)
    if total > unallocated:
        errors.append(
            _("The allocations total %(total)s but only %(unallocated)s of the payment is left.")
            % {"total": total, "unallocated": unallocated}
        )
    return errors


def _amounts_per_invoice(allocations: Sequence[tuple[Invoice, Decimal]]) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice, amount in allocations:
        amounts[invoice.pk] += _money(amount)
    return dict(amounts)


def _allocate_locked(
    *, payment: Payment, allocations: Sequence[tuple[Invoice, Decimal]], by=None
) -> list[PaymentAllocation]:
    """Allocate with `payment` already locked: lock the invoices, check, write, pay sessions."""
    amounts = _amounts_per_invoice(allocations)
    invoices = invoices_lock(invoice_ids=amounts)
    total = sum(amounts.values(), ZERO)
    errors = _allocation_errors(
        payer_id=payment.payer_id,
        client_id=payment.client_id,
        unallocated=payment.amount - payment.allocated_amount,
        invoices=invoices,
        amounts=amounts,
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


# --- Sessions paid at the session ---------------------------------------------------------
#
# Lock order, shared with the month run (invoice_run._generate_once): the bill-to's live
# invoices, then the client row. Whichever of a payment and a month run locks the client
# second sees the other's rows once it has the lock, so a session paid while its invoice is
# being generated is still allocated to its line.


def _sessions_lock(*, client_id: int, appointment_ids: Sequence[int]) -> None:
    months = {
        timezone.localdate(starts_at).replace(day=1)
        for starts_at in Appointment.objects.filter(pk__in=appointment_ids).values_list(
            "starts_at", flat=True
        )
    }
    list(
        Invoice.objects.select_for_update()
        .filter(client_id=client_id, payer__isnull=True, period_start__in=months)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(Client.objects.select_for_update().filter(pk=client_id).values_list("pk", flat=True))


def session_payment_refusal(*, appointment: Appointment, client_id: int) -> str | None:
    """Why this client cannot pay this session now (None: they can).

    `appointment` comes from `billing.selectors.sessions_with_payment_facts`.
    """
    if appointment.billing_client_id != client_id:
        return _("Session #%(pk)s is not billed to this client.") % {"pk": appointment.pk}
    if appointment.status not in (AppointmentStatus.SCHEDULED, *BILLABLE_STATUSES):
        return _("Session #%(pk)s was cancelled: there is nothing to pay.") % {"pk": appointment.pk}
    if appointment.bill_to != BillTo.CLIENT:
        return _("Session #%(pk)s is not billed to the client (%(bill_to)s).") % {
            "pk": appointment.pk,
            "bill_to": BillTo(appointment.bill_to).label.lower(),
        }
    if appointment.is_paid:
        return _("Session #%(pk)s is already paid.") % {"pk": appointment.pk}
    if appointment.issued_invoice:
        return _(
            "Session #%(pk)s is on invoice %(number)s: record the payment against that invoice."
        ) % {"pk": appointment.pk, "number": appointment.issued_invoice}
    return None


def _session_errors(*, client_id: int, sessions: Sequence[Appointment], expected_count: int):
    refusals = (
        session_payment_refusal(appointment=appointment, client_id=client_id)
        for appointment in sessions
    )
    errors = [refusal for refusal in refusals if refusal]
    if len(sessions) != expected_count:
        errors.append(_("Some sessions no longer exist."))
    return errors


def _sessions_over_payment(*, total: Decimal, unallocated: Decimal) -> str:
    return _("The sessions cost %(total)s but only %(unallocated)s of the payment is left.") % {
        "total": total,
        "unallocated": unallocated,
    }


def payment_allocations_check(
    *,
    payment: Payment,
    allocations: Sequence[tuple[Invoice, Decimal]] = (),
    sessions: Sequence[Appointment] = (),
) -> None:
    """Check what staff are about to put on a payment (new or recorded) before anything is
    saved: each invoice allocation, each session paid at the session, and their total against
    what is left of the payment. Raises one ValidationError listing every problem; the writes
    check again under lock (something may change in between)."""
    amounts = _amounts_per_invoice(allocations)
    invoices = invoices_with_open_amount(Invoice.objects.filter(pk__in=amounts)).in_bulk()
    unallocated = (payment.amount or ZERO) - payment.allocated_amount
    errors = _allocation_errors(
        payer_id=payment.payer_id,
        client_id=payment.client_id,
        unallocated=unallocated,
        invoices=invoices,
        amounts=amounts,
    )
    if sessions and payment.client_id is None:
        errors.append(_("Only a client pays sessions at the session."))
    elif sessions:
        ids = {session.pk for session in sessions}
        facts = list(
            sessions_with_payment_facts(Appointment.objects.filter(pk__in=ids)).select_related(
                "service_type"
            )
        )
        errors += _session_errors(
            client_id=payment.client_id, sessions=facts, expected_count=len(ids)
        )
        total = sum((session_client_total(session) for session in facts), ZERO)
        left = max(unallocated - sum(amounts.values(), ZERO), ZERO)
        if total > left:
            errors.append(_sessions_over_payment(total=total, unallocated=left))
    if errors:
        raise ValidationError(errors)


def _sessions_pay(*, payment: Payment, sessions: Sequence[Appointment], by=None) -> Decimal:
    """Allocate `payment` to sessions its client pays at the session; returns the total."""
    if payment.client_id is None:
        raise ValidationError(_("Only a client pays sessions at the session."))
    ids = sorted({session.pk for session in sessions})
    _sessions_lock(client_id=payment.client_id, appointment_ids=ids)
    locked = list(
        sessions_with_payment_facts(Appointment.objects.filter(pk__in=ids))
        .select_related("service_type")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    dues = {appointment.pk: session_client_total(appointment) for appointment in locked}
    total = sum(dues.values(), ZERO)
    errors = _session_errors(client_id=payment.client_id, sessions=locked, expected_count=len(ids))
    unallocated = payment.amount - payment.allocated_amount
    if not errors and total > unallocated:
        errors.append(_sessions_over_payment(total=total, unallocated=unallocated))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            bulk_create_with_history(
                [
                    PaymentAllocation(payment=payment, appointment_id=pk, amount=amount)
                    for pk, amount in dues.items()
                    if amount > 0
                ],
                PaymentAllocation,
                default_user=by,
            )
    except IntegrityError as error:  # paid meanwhile by another payment (one per session)
        raise ValidationError(_("One of these sessions was paid meanwhile.")) from error
    payment.allocated_amount += total
    payment._history_user = by
    payment.save(update_fields=["allocated_amount"])
    Appointment.objects.filter(pk__in=ids).update(paid_at=local_midnight(payment.received_on))
    history_rows_insert(model=Appointment, ids=ids, history_type="~", by=by)
    _session_money_attach_to_lines(appointment_ids=ids, by=by)
    return total


@dataclass(frozen=True)
class SessionMoney:
    """Money paid at a session, waiting for the line that bills it: `amount` is what goes on
    the line (never more than its total; `trimmed` when the rest goes back to credit)."""

    allocation_id: int
    payment_id: int
    amount: Decimal
    trimmed: bool


def session_money_waiting(
    *, line_totals: dict[int, Decimal], sessions: QuerySet | None = None
) -> dict[int, SessionMoney]:
    """The money paid at these sessions that waits for their lines ({appointment id: the
    total of its line}; `sessions`, the same ids as a subquery, when there are many):
    {appointment id: SessionMoney}. One query."""
    rows = PaymentAllocation.objects.filter(
        invoice__isnull=True,
        appointment_id__in=list(line_totals) if sessions is None else sessions,
    ).values_list("pk", "payment_id", "appointment_id", "amount")
    waiting = {}
    for pk, payment_id, appointment_id, amount in rows:
        total = line_totals.get(appointment_id, ZERO)
        if total > 0:
            waiting[appointment_id] = SessionMoney(
                pk, payment_id, min(amount, total), amount > total
            )
    return waiting


def session_money_attach(
    *, money: dict[int, SessionMoney], allocations: QuerySet | None = None, by=None
) -> None:
    """Put waiting money on the live lines that now bill its sessions (the caller wrote the
    lines, and adds `amount` to their invoices' `paid_amount`); money beyond a line's total
    goes back to its payment's credit. `allocations` narrows the UPDATE without binding the
    ids (a month run's thousands). A constant number of queries.

    The caller holds the lock of the clients concerned (see the lock order above)."""
    if not money:
        return
    ids = [each.allocation_id for each in money.values()]
    line = InvoiceLine.objects.filter(appointment_id=OuterRef("appointment_id"), is_void=False)
    if allocations is None:
        allocations = PaymentAllocation.objects.filter(pk__in=ids)
    # Waiting money has no live line but for the lines just written: those get it.
    allocations.filter(invoice__isnull=True).filter(Exists(line)).update(
        invoice_id=Subquery(line.values("invoice_id")[:1]),
        amount=Least(F("amount"), Subquery(line.values("total_amount")[:1])),
    )
    history_rows_insert(model=PaymentAllocation, ids=ids, history_type="~", by=by)
    trimmed = sorted({each.payment_id for each in money.values() if each.trimmed})
    if trimmed:
        allocated = (
            PaymentAllocation.objects.filter(payment=OuterRef("pk"))
            .order_by()
            .values("payment")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        Payment.objects.filter(pk__in=trimmed).update(
            allocated_amount=Coalesce(Subquery(allocated), ZERO)
        )
        history_rows_insert(model=Payment, ids=trimmed, history_type="~", by=by)


def _session_money_attach_to_lines(*, appointment_ids: Sequence[int], by=None) -> None:
    """After sessions are paid at the session: those already on a live (draft) line get their
    money there at once; their invoices are locked already (`_sessions_lock`)."""
    lines = list(
        InvoiceLine.objects.filter(appointment_id__in=appointment_ids, is_void=False).values_list(
            "appointment_id", "invoice_id", "total_amount"
        )
    )
    money = session_money_waiting(
        line_totals={appointment: total for appointment, _i, total in lines}
    )
    if not money:
        return
    session_money_attach(money=money, by=by)
    invoices = invoices_lock(invoice_ids={invoice_id for _a, invoice_id, _t in lines})
    for appointment_id, invoice_id, _total in lines:
        if appointment_id in money:
            invoices[invoice_id].paid_amount += money[appointment_id].amount
    invoices_paid_amount_save(invoices=list(invoices.values()), by=by)


def session_allocations_detach(
    *, invoice: Invoice, appointment_ids: Sequence[int] | None = None, by=None
) -> Decimal:
    """Take the money paid at the session off `invoice` (its `appointment_ids` sessions, else
    all): it waits on the sessions again for the invoice that bills them next (a rerun after a
    draft is discarded, a supplementary invoice after a credit note). The caller holds the
    invoice's lock; `invoice.paid_amount` is lowered and saved. Returns the amount detached."""
    allocations = PaymentAllocation.objects.filter(invoice=invoice, appointment__isnull=False)
    if appointment_ids is not None:
        allocations = allocations.filter(appointment_id__in=appointment_ids)
    rows = list(allocations.values_list("pk", "amount"))
    if not rows:
        return ZERO
    ids = [pk for pk, _amount in rows]
    detached = sum((amount for _pk, amount in rows), ZERO)
    PaymentAllocation.objects.filter(pk__in=ids).update(invoice=None)
    history_rows_insert(model=PaymentAllocation, ids=ids, history_type="~", by=by)
    invoice.paid_amount -= detached
    Invoice.objects.filter(pk=invoice.pk).update(paid_amount=invoice.paid_amount)
    history_rows_insert(model=Invoice, ids=[invoice.pk], history_type="~", by=by)
    return detached


@transaction.atomic
def session_payment_follow_outcome(*, appointment: Appointment, by=None) -> None:
    """After a session paid ahead is cancelled or missed, its money follows what it now owes:
    nothing billed (cancelled in time, no fee) → the payment keeps it as credit and the
    session is unpaid again; a missed-session fee smaller than what was paid → the session
    keeps the fee, the rest is credit."""
    allocation = (
        PaymentAllocation.objects.select_for_update()
        .filter(appointment_id=appointment.pk, invoice__isnull=True)
        .first()
    )
    if allocation is None:
        return
    session = (
        sessions_with_payment_facts(Appointment.objects.filter(pk=appointment.pk))
        .select_related("service_type")
        .get()
    )
    owes = (
        session_client_total(session)
        if session.bill_to == BillTo.CLIENT and session.status in BILLABLE_STATUSES
        else ZERO
    )
    if owes >= allocation.amount:
        return
    payment = Payment.objects.select_for_update().get(pk=allocation.payment_id)
    payment.allocated_amount -= allocation.amount - max(owes, ZERO)
    payment._history_user = by
    payment.save(update_fields=["allocated_amount"])
    allocation._history_user = by
    if owes > 0:
        allocation.amount = owes
        allocation.save(update_fields=["amount"])
        return
    allocation.delete()
    Appointment.objects.filter(pk=appointment.pk).update(paid_at=None)
    history_rows_insert(model=Appointment, ids=[appointment.pk], history_type="~", by=by)


@transaction.atomic
def payment_sessions_pay(*, payment: Payment, sessions: Sequence[Appointment], by=None) -> Decimal:
    """Pay sessions of the payment's client from what is left of the payment (its credit):
    they are paid at once (`Appointment.paid_at` = the received date) and their money goes on
    their invoice lines when the month's invoice is generated. Refused (ValidationError, with
    each session named) for sessions not billed to the client, already paid, cancelled, or on
    an issued invoice, and beyond the payment's credit."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    total = _sessions_pay(payment=locked, sessions=sessions, by=by)
    payment.allocated_amount = locked.allocated_amount
    return total


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
    sessions: Sequence[Appointment] = (),
    notes: str = "",
    send_receipt: bool = True,
    by=None,
) -> Payment:
    """Record money received from a payer or a client and allocate it to invoices, and (a
    client's payment) to `sessions` paid at the session (see `payment_sessions_pay`).

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
    if sessions:
        _sessions_pay(payment=payment, sessions=sessions, by=by)
    if client is not None:
        receipt_issue(payment=payment, send=send_receipt, by=by)
    return payment


def _receipt_number(*, issued_on: date) -> str:
    return document_number_next(series=DocumentSeries.RECEIPT, year=issued_on.year)


def receipt_send_on_commit(*, receipt: Receipt, by=None) -> None:
    """Queue the receipt's email (`sending.receipt_send`) once the payment is committed;
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
