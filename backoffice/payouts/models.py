"""Therapists' monthly statements: sessions paid out, sessions held until they are paid."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.caseload.models import Client, ServiceType, Therapist, TherapistRate
from backoffice.documents.models import SentDocument
from backoffice.fields import MoneyField
from backoffice.scheduling.models import Appointment, AppointmentStatus


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    PAID = "paid", _("Paid")


class Statement(SentDocument):
    """What the company owes one therapist for one month; regenerated while a draft."""

    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="statements", verbose_name=_("therapist")
    )
    period_start = models.DateField(_("month"))
    period_end = models.DateField(_("through"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StatementStatus.choices,
        default=StatementStatus.DRAFT,
    )
    gross_amount = MoneyField(_("sessions"), default=0)
    service_fee_amount = MoneyField(_("service fees"), default=0)
    net_amount = MoneyField(_("net payable"), default=0)
    paid_count = models.PositiveIntegerField(_("sessions paid out"), default=0)
    held_count = models.PositiveIntegerField(_("sessions held"), default=0)
    held_amount = MoneyField(_("held (at the therapist's price)"), default=0)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payout_reference = models.CharField(_("payout reference"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "therapist__last_name", "therapist__first_name"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        permissions = [("export_statement", _("Can export statements (PDF, ZIP, Excel)"))]
        indexes = [models.Index(fields=["period_start", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "period_start"], name="one_statement_per_therapist_month"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False),
                name="paid_statement_has_a_payout_date",
            ),
        ]

    def __str__(self):
        return f"{self.therapist} · {self.period_start:%Y-%m}"


class StatementLineKind(models.TextChoices):
    PAID = "paid", _("Paid out")
    HELD = "held", _("Held until paid")


class StatementLine(models.Model):
    """One session on a statement: paid out (once, ever) or held until the payer or client pays."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StatementLineKind.choices)
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        related_name="statement_lines",
        verbose_name=_("appointment"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    rate = models.ForeignKey(
        TherapistRate,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rate in force"),
    )
    service_date = models.DateField(_("service date"))
    appointment_status = models.CharField(
        _("outcome"), max_length=20, choices=AppointmentStatus.choices
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    price_amount = MoneyField(_("price"))
    service_fee_amount = MoneyField(_("service fee"))
    net_amount = MoneyField(_("net"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "service_date", "pk"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(kind="paid"),
                name="session_paid_out_once",
            ),
            models.UniqueConstraint(
                fields=["statement", "appointment"], name="session_once_per_statement"
            ),
        ]

    def __str__(self):
        return f"{self.service_date:%Y-%m-%d} · {self.get_kind_display()}"
