"""Invoices to payers and direct clients, their lines, payments, allocations and receipts; what
a session costs (pure arithmetic on its fields, read by the selectors, services and PDFs)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.caseload.models import (
    Authorization,
    Client,
    MissedSessionBilling,
    Payer,
    ServiceType,
    Therapist,
)
from backoffice.documents.formatting import money
from backoffice.documents.models import SentDocument
from backoffice.fields import Language, MoneyField
from backoffice.scheduling.models import MISSED_STATUSES, Appointment, AppointmentStatus


class DocumentSeries(models.TextChoices):
    INVOICE = "INV", _("Invoice")
    CREDIT_NOTE = "CN", _("Credit note")
    RECEIPT = "RCP", _("Receipt")


NUMBER_DIGITS = 5


def document_number_format(*, series: str, year: int, number: int) -> str:
    """INV-2026-00042, CN-2026-00003, RCP-2026-00107."""
    return f"{series}-{year}-{number:0{NUMBER_DIGITS}d}"


class DocumentCounter(models.Model):
    """The last number given in one series and year; locked while the next one is taken."""

    series = models.CharField(_("series"), max_length=5, choices=DocumentSeries.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_counter_per_series_year")
        ]

    def __str__(self):
        return f"{self.series}-{self.year}: {self.last_number}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit-note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void")


class Invoice(SentDocument):
    """A bill to a payer (indirect clients) or to a client (direct clients).

    `bill_to_key` names the bill-to (and the client, for payers invoiced per client) so that
    one unique constraint keeps month runs idempotent on every database (docs/quality.md,
    concurrent runs).
    """

    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    payer = models.ForeignKey(
        Payer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("payer"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("client"),
        help_text=_("The client billed (direct), or the only client on a per-client invoice."),
    )
    bill_to_key = models.CharField(_("bill-to key"), max_length=60, editable=False)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    subtotal_amount = MoneyField(_("subtotal"), allow_negative=True, default=0)
    tax_amount = MoneyField(_("tax"), allow_negative=True, default=0)
    total_amount = MoneyField(_("total"), allow_negative=True, default=0)
    paid_amount = MoneyField(_("paid"), allow_negative=True, default=0)
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credits invoice"),
    )
    notes = models.TextField(_("notes"), blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    void_reason = models.TextField(_("why voided"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "-created_at"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [("export_invoice", _("Can export invoices (PDF, ZIP, Excel, CSV)"))]
        indexes = [
            models.Index(fields=["-created_at"]),
            models.Index(fields=["-period_start", "-created_at"]),  # the list's order
            models.Index(fields=["payer", "period_start"]),
            models.Index(fields=["client", "period_start"]),
            models.Index(fields=["status", "due_on"]),
            # What is still owed (receivables, overdue invoices): a few thousand of the years
            # of invoices, read without walking the paid ones nor the table (the columns the
            # aging sums read); kind and status as columns, so SQLite's planner prefers it to
            # the (status, due_on) index.
            models.Index(
                fields=["kind", "status", "issued_on", "total_amount", "paid_amount"],
                condition=Q(total_amount__gt=F("paid_amount")),
                name="billing_invoice_owed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(payer__isnull=False) | Q(client__isnull=False),
                name="invoice_has_a_bill_to",
            ),
            models.UniqueConstraint(
                fields=["bill_to_key", "period_start"],
                condition=Q(kind="invoice") & ~Q(status="void"),
                name="one_live_invoice_per_bill_to_and_period",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False),
                name="issued_invoice_has_a_number",
            ),
        ]

    def __str__(self):
        return self.number or _("Draft #%(pk)s") % {"pk": self.pk}


class InvoiceLine(models.Model):
    """One billed session (or a credit of one); an appointment is on one live line at most."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
        verbose_name=_("appointment"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="+", verbose_name=_("therapist")
    )
    authorization = models.ForeignKey(
        Authorization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("authorization"),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    service_date = models.DateField(_("service date"))
    description = models.CharField(_("description"), max_length=200)
    unit_amount = MoneyField(_("amount"), allow_negative=True)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=0)
    tax_amount = MoneyField(_("tax"), allow_negative=True, default=0)
    total_amount = MoneyField(_("total"), allow_negative=True)
    is_void = models.BooleanField(_("void"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["service_date", "pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        indexes = [models.Index(fields=["invoice", "service_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(appointment__isnull=False) & Q(is_void=False),
                name="appointment_on_one_live_line",
            ),
        ]

    def __str__(self):
        return f"{self.service_date:%Y-%m-%d} · {self.description}"


class PaymentMethod(models.TextChoices):
    CHEQUE = "cheque", _("Cheque")
    EFT = "eft", _("Electronic funds transfer")
    E_TRANSFER = "e-transfer", _("Interac e-Transfer")
    CARD = "card", _("Credit or debit card")
    CASH = "cash", _("Cash")


class Payment(models.Model):
    """Money received from a payer or a client; allocated to invoices, the rest kept as credit."""

    payer = models.ForeignKey(
        Payer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("client"),
    )
    received_on = models.DateField(_("received on"))
    amount = MoneyField(_("amount"))
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    allocated_amount = MoneyField(_("allocated"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("import_payment", _("Can import payments from files"))]
        indexes = [models.Index(fields=["-received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(payer__isnull=False) ^ Q(client__isnull=False),
                name="payment_from_payer_or_client",
            ),
            models.CheckConstraint(
                condition=Q(allocated_amount__lte=models.F("amount")),
                name="payment_not_over_allocated",
            ),
        ]

    def __str__(self):
        return f"{self.received_on:%Y-%m-%d} · {money(self.amount)}"


class PaymentAllocation(models.Model):
    """Part of a payment put on an invoice, or on a session paid at the session.

    A session's allocation (`appointment`) is made before the month's invoice exists; the month
    run then puts it on the invoice that bills the session (`invoice`), so the invoice is born
    paid. Until then the money is the session's, not the payment's credit.
    """

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("payment")
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("invoice"),
        help_text=_("Empty: a session paid before its invoice was generated."),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_allocations",
        verbose_name=_("session"),
        help_text=_("The session this money paid when it was taken at the session."),
    )
    amount = MoneyField(_("amount"))
    created_at = models.DateTimeField(_("allocated"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=Q(invoice__isnull=False) | Q(appointment__isnull=False),
                name="allocation_to_invoice_or_session",
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(appointment__isnull=False),
                name="session_paid_by_one_payment",
            ),
        ]

    def __str__(self):
        return f"{self.payment} → {self.invoice or self.appointment}"


class Receipt(SentDocument):
    """The numbered receipt a direct client gets for a payment ("paid in full")."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("payment")
    )
    issued_on = models.DateField(_("issued on"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        indexes = [models.Index(fields=["-issued_on"])]  # the list's order, newest first

    def __str__(self):
        return self.number


class SetAsideReason(models.TextChoices):
    OVER_APPROVED = "over-approved", _("Past the approved sessions")
    AFTER_EXPIRY = "after-expiry", _("After the authorization's expiry")


class SetAsideOutcome(models.TextChoices):
    BILL_CLIENT = "bill-client", _("Bill the client")
    EXTEND = "extend", _("Extend the authorization")
    WRITE_OFF = "write-off", _("Write off")


class SetAsideDecision(models.Model):
    """What staff decided for a session the month run set aside at its payer's limits (past
    the authorization's approved sessions or expiry): bill the client, extend, or write off."""

    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        related_name="set_aside_decision",
        verbose_name=_("session"),
    )
    authorization = models.ForeignKey(
        Authorization, on_delete=models.PROTECT, related_name="+", verbose_name=_("authorization")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=SetAsideReason.choices)
    outcome = models.CharField(_("decision"), max_length=20, choices=SetAsideOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("set-aside decision")
        verbose_name_plural = _("set-aside decisions")

    def __str__(self):
        return f"{self.appointment} · {self.get_outcome_display()}"


# --- What a session costs ----------------------------------------------------------------

CENT = Decimal("0.01")
# What a missed session's line says after the service's name.
MISSED_LABELS = {
    AppointmentStatus.LATE_CANCELLED: _("late cancellation"),
    AppointmentStatus.NO_SHOW: _("no-show"),
}
# Outcomes that can be billed; a scheduled session may be paid ahead, never invoiced.
BILLABLE_STATUSES = (AppointmentStatus.COMPLETED, *MISSED_STATUSES)

# Who pays: the payer rules' own choices (not billed / the payer / the client);
# `billing.selectors.session_bill_to` says which for a session.
BillTo = MissedSessionBilling


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
