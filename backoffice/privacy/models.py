"""Clients' privacy requests and the breach register (PIPEDA; docs/security.md)."""

from calendar import monthrange
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.caseload.models import Client, ConsentMethod

# PIPEDA gives an organization 30 days to answer a request for access.
RESPONSE_DAYS = 30
# Records of breaches are kept at least 24 months after the clinic learns of them.
BREACH_KEEP_MONTHS = 24


def response_due(received_on: date) -> date:
    """The day an answer to a request received on `received_on` is due."""
    return received_on + timedelta(days=RESPONSE_DAYS)


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access (export of everything held)")
    CORRECTION = "correction", _("Correction")
    CONSENT_WITHDRAWAL = "consent-withdrawal", _("Withdrawal of consent")
    OTHER = "other", _("Other")


# How a request reached the clinic; the same values as a consent record's "how", so that a
# withdrawal of consent is recorded the way the client asked.
RECEIVED_HOW = [
    (method.value, method.label)
    for method in (ConsentMethod.IN_PERSON, ConsentMethod.PHONE, ConsentMethod.EMAIL)
]


class WithdrawnChannels(models.TextChoices):
    EMAIL = "email", _("Email reminders")
    SMS = "sms", _("SMS reminders")
    BOTH = "both", _("Email and SMS reminders")


class PrivacyRequest(models.Model):
    """One request from a client about the personal information the clinic holds on them."""

    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="privacy_requests",
        verbose_name=_("client"),
    )
    kind = models.CharField(_("request"), max_length=20, choices=RequestKind.choices)
    received_on = models.DateField(_("received on"))
    received_how = models.CharField(_("received"), max_length=20, choices=RECEIVED_HOW)
    due_on = models.DateField(
        _("answer due on"), editable=False, help_text=_("30 days after it was received.")
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
        limit_choices_to={"is_staff": True},
    )
    details = models.TextField(
        _("what the client asked"),
        blank=True,
        help_text=_(
            "For a correction: each field, its old and its new value. For a withdrawal: what "
            "it covers beyond reminders."
        ),
    )
    withdrawn_channels = models.CharField(
        _("reminders to stop"),
        max_length=10,
        choices=WithdrawnChannels.choices,
        blank=True,
        help_text=_("Recorded on the client as a withdrawal of consent when the request is saved."),
    )
    outcome = models.TextField(_("what was done"), blank=True)
    completed_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        permissions = [
            ("export_client_record", _("Can export everything held about a client")),
        ]
        indexes = [
            models.Index(fields=["-received_on"]),
            models.Index(
                fields=["due_on"], condition=models.Q(completed_at=None), name="privacy_open_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.received_on:%Y-%m-%d} · #{self.pk}"

    def clean(self):
        if self.kind == RequestKind.CORRECTION and not self.details.strip():
            raise ValidationError({"details": _("Say what is to be corrected.")})
        if (
            self.kind == RequestKind.CONSENT_WITHDRAWAL
            and not self.withdrawn_channels
            and not self.details.strip()
        ):
            raise ValidationError(
                {"withdrawn_channels": _("Choose the reminders to stop, or describe the scope.")}
            )
        if self.withdrawn_channels and self.kind != RequestKind.CONSENT_WITHDRAWAL:
            raise ValidationError(
                {"withdrawn_channels": _("Only a withdrawal of consent stops reminders.")}
            )
        if self.completed_at and not self.outcome.strip():
            raise ValidationError({"outcome": _("Say what was done before closing the request.")})


class RiskOfHarm(models.TextChoices):
    YES = "yes", _("Yes: report and notify")
    NO = "no", _("No")


class Breach(models.Model):
    """One breach of security safeguards involving personal information: what happened, whom
    it touched, what was done and who was told (PIPEDA's record of every breach)."""

    discovered_at = models.DateTimeField(_("discovered"))
    occurred_from = models.DateTimeField(_("occurred from"), null=True, blank=True)
    occurred_until = models.DateTimeField(_("occurred until"), null=True, blank=True)
    occurred_note = models.CharField(
        _("when it occurred (approximately)"),
        max_length=200,
        blank=True,
        help_text=_('When the dates are not known, e.g. "some time in March".'),
    )
    description = models.TextField(_("what happened"))
    records_affected = models.TextField(_("personal information involved"))
    clients = models.ManyToManyField(
        Client, blank=True, related_name="breaches", verbose_name=_("clients affected")
    )
    others_affected_count = models.PositiveIntegerField(
        _("other individuals affected"),
        default=0,
        help_text=_("People not among the clients above, or an estimate when not known."),
    )
    cause = models.TextField(_("cause"))
    containment = models.TextField(_("steps taken to contain it"))
    real_risk = models.CharField(
        _("real risk of significant harm"), max_length=3, choices=RiskOfHarm.choices
    )
    risk_reasoning = models.TextField(
        _("why"), help_text=_("The sensitivity of the information and the probability of misuse.")
    )
    commissioner_reported_on = models.DateField(
        _("reported to the Privacy Commissioner on"), null=True, blank=True
    )
    individuals_notified_on = models.DateField(_("individuals notified on"), null=True, blank=True)
    organisations_notified = models.TextField(
        _("other organizations notified"),
        blank=True,
        help_text=_("Who (police, insurer, payers) and when."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[clients])

    class Meta:
        ordering = ["-discovered_at"]
        verbose_name = _("breach")
        verbose_name_plural = _("breach register")

    def __str__(self):
        return f"{timezone.localtime(self.discovered_at):%Y-%m-%d} · #{self.pk}"

    def keep_until(self) -> date | None:
        """The first day the record may be destroyed (24 months after discovery)."""
        if self.discovered_at is None:
            return None
        discovered = timezone.localdate(self.discovered_at)
        months = discovered.month - 1 + BREACH_KEEP_MONTHS
        year, month = discovered.year + months // 12, months % 12 + 1
        return date(year, month, min(discovered.day, monthrange(year, month)[1]))

    def clean(self):
        errors = {}
        if not self.occurred_from and not self.occurred_note.strip():
            errors["occurred_note"] = _("Give when it occurred, as dates or approximately.")
        if self.occurred_from and self.occurred_until and self.occurred_until < self.occurred_from:
            errors["occurred_until"] = _("The end is before the start.")
        if self.closed_at and self.real_risk == RiskOfHarm.YES:
            if not self.commissioner_reported_on:
                errors["commissioner_reported_on"] = _(
                    "A breach with a real risk of significant harm is reported to the Privacy "
                    "Commissioner before it is closed."
                )
            if not self.individuals_notified_on:
                errors["individuals_notified_on"] = _(
                    "The individuals affected are notified before it is closed."
                )
        if errors:
            raise ValidationError(errors)


def is_overdue(request: PrivacyRequest, *, today: date) -> bool:
    return request.completed_at is None and request.due_on < today
