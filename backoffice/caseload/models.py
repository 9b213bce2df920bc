"""Therapists, clients, third-party payers and their authorizations."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.documents.storage import UnguessableUpload
from backoffice.fields import Language, MoneyField
from backoffice.messaging.models import Channel


class PersonName:
    """How a therapist's or a client's name is written: one place for every page and document."""

    first_name: str
    last_name: str

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def listed_name(self) -> str:
        """ "Last, First", as lists sort and show people."""
        return f"{self.last_name}, {self.first_name}"


class ServiceKind(models.TextChoices):
    ASSESSMENT = "assessment", _("Assessment")
    SESSION = "session", _("Session")
    REPORT = "report", _("Report")


class Modality(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COUPLE = "couple", _("Couple")
    FAMILY = "family", _("Family")
    GROUP = "group", _("Group")


class ServiceType(models.Model):
    """What is delivered (assessment or session, for whom); staff-editable data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_fr = models.CharField(_("French name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    modality = models.CharField(_("modality"), max_length=20, choices=Modality.choices)
    default_duration_minutes = models.PositiveSmallIntegerField(
        _("default duration (minutes)"), default=50
    )
    default_fee_amount = MoneyField(_("default fee (direct clients)"))
    tax_rate = models.DecimalField(
        _("tax rate"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("0 = GST/HST-exempt (psychology and counselling services)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "modality", "name"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")

    def __str__(self):
        return self.name

    def name_in(self, language: str) -> str:
        """The name clients, payers and therapists read, in their language."""
        return (self.name_fr if language == Language.FRENCH else self.name) or self.name


class Designation(models.TextChoices):
    PSYCHOLOGIST = "psychologist", _("Registered Psychologist")
    RCC = "rcc", _("Registered Clinical Counsellor")
    RSW = "rsw", _("Registered Social Worker")
    CCC = "ccc", _("Canadian Certified Counsellor")
    MFT = "mft", _("Registered Marriage and Family Therapist")


class Therapist(PersonName, models.Model):
    """A contract psychologist or counsellor; signs in to the portal with `user`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="therapist",
        verbose_name=_("user"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    designation = models.CharField(_("designation"), max_length=20, choices=Designation.choices)
    registration_number = models.CharField(_("registration number"), max_length=40)
    preferred_language = models.CharField(
        _("language"),
        max_length=5,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("Statements and their emails are written in this language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    invited_at = models.DateTimeField(
        _("invited to the portal"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When staff last emailed the therapist a link to set their portal password."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("therapist")
        verbose_name_plural = _("therapists")
        indexes = [models.Index(fields=["last_name", "first_name"])]


class FeeKind(models.TextChoices):
    FLAT = "flat", _("Flat amount per session")
    PERCENT = "percent", _("Percent of session price")


class TherapistRate(models.Model):
    """What the company pays a therapist per session, less its service fee, from a date on.

    A later row never rewrites a past month: each session uses the row in force on its date.
    A row for one service type beats the therapist's general row (service type left empty).
    """

    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="rates", verbose_name=_("therapist")
    )
    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("service type"),
        help_text=_("Empty: every service type."),
    )
    effective_from = models.DateField(_("effective from"))
    session_price_amount = MoneyField(_("session price"))
    service_fee_kind = models.CharField(
        _("service fee kind"), max_length=10, choices=FeeKind.choices, default=FeeKind.PERCENT
    )
    service_fee_value = models.DecimalField(
        _("service fee"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Dollars per session, or a percent (e.g. 30.00)."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["therapist", "-effective_from"]
        verbose_name = _("therapist rate")
        verbose_name_plural = _("therapist rates")
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "service_type", "effective_from"],
                name="therapist_rate_one_per_day",
            ),
            models.UniqueConstraint(
                fields=["therapist", "effective_from"],
                condition=Q(service_type__isnull=True),
                name="therapist_general_rate_one_per_day",
            ),
            models.CheckConstraint(
                condition=~Q(service_fee_kind="percent") | Q(service_fee_value__lte=100),
                name="therapist_rate_percent_at_most_100",
            ),
        ]

    def __str__(self):
        return f"{self.therapist} · {self.effective_from:%Y-%m-%d}"

    def clean(self):
        if self.service_fee_kind == FeeKind.PERCENT and (self.service_fee_value or 0) > 100:
            raise ValidationError({"service_fee_value": _("A percent cannot exceed 100.")})

    def service_fee_amount(self) -> Decimal:
        """The fee kept by the company on one session at this rate."""
        if self.service_fee_kind == FeeKind.FLAT:
            return self.service_fee_value
        return (self.session_price_amount * self.service_fee_value / 100).quantize(Decimal("0.01"))

    def net_amount(self) -> Decimal:
        return self.session_price_amount - self.service_fee_amount()


class PayerKind(models.TextChoices):
    INSURER = "insurer", _("Insurer")
    EAP = "eap", _("Employee assistance programme")
    PUBLIC = "public", _("Public programme")
    OTHER = "other", _("Other")


class MissedSessionBilling(models.TextChoices):
    NOT_BILLED = "not-billed", _("Not billed")
    PAYER = "payer", _("Billed to the payer")
    CLIENT = "client", _("Billed to the client")


class InvoiceGrouping(models.TextChoices):
    PER_PERIOD = "per-period", _("One invoice per period")
    PER_CLIENT = "per-client", _("One invoice per client")


class Payer(models.Model):
    """A third party (insurer, EAP, public programme) that pays for indirect clients."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PayerKind.choices)
    billing_email = models.EmailField(_("billing email"))
    billing_address = models.TextField(_("billing address"))
    vendor_number = models.CharField(
        _("our vendor number"),
        max_length=60,
        blank=True,
        help_text=_("The number this payer knows us by; printed on every invoice."),
    )
    invoice_terms_days = models.PositiveSmallIntegerField(_("invoice terms (days)"), default=30)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    late_cancel_billing = models.CharField(
        _("late cancellations"),
        max_length=20,
        choices=MissedSessionBilling.choices,
        default=MissedSessionBilling.NOT_BILLED,
    )
    no_show_billing = models.CharField(
        _("no-shows"),
        max_length=20,
        choices=MissedSessionBilling.choices,
        default=MissedSessionBilling.NOT_BILLED,
    )
    missed_sessions_billable_count = models.PositiveSmallIntegerField(
        _("missed sessions billable per authorization"),
        null=True,
        blank=True,
        help_text=_("Empty: no limit."),
    )
    invoice_grouping = models.CharField(
        _("invoicing"),
        max_length=20,
        choices=InvoiceGrouping.choices,
        default=InvoiceGrouping.PER_PERIOD,
    )
    submission_deadline_days = models.PositiveSmallIntegerField(
        _("submission deadline (days after service)"), null=True, blank=True
    )
    renewal_requirements = models.TextField(
        _("renewal requirements"),
        blank=True,
        help_text=_(
            "What therapists prepare to ask this payer for more sessions (forms, progress "
            "report, deadlines); shown in their alerts."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("payer")
        verbose_name_plural = _("payers")

    def __str__(self):
        return self.name


class PayerRate(models.Model):
    """What a payer pays for one service type, from a date on."""

    payer = models.ForeignKey(
        Payer, on_delete=models.CASCADE, related_name="rates", verbose_name=_("payer")
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, verbose_name=_("service type")
    )
    effective_from = models.DateField(_("effective from"))
    amount = MoneyField(_("amount"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["payer", "service_type", "-effective_from"]
        verbose_name = _("payer rate")
        verbose_name_plural = _("payer rates")
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "service_type", "effective_from"], name="payer_rate_one_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.payer} · {self.service_type} · {self.effective_from:%Y-%m-%d}"


class ClientKind(models.TextChoices):
    DIRECT = "direct", _("Direct (self-paying)")
    INDIRECT = "indirect", _("Indirect (third party pays)")


class ReminderChannel(models.TextChoices):
    NONE = "none", _("No reminders")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    BOTH = "both", _("Email and SMS")


class Client(PersonName, models.Model):
    kind = models.CharField(_("payment source"), max_length=10, choices=ClientKind.choices)
    first_name = models.CharField(_("legal first name"), max_length=100)
    last_name = models.CharField(_("legal last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    address = models.TextField(_("address"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    primary_therapist = models.ForeignKey(
        Therapist,
        on_delete=models.PROTECT,
        related_name="clients",
        verbose_name=_("primary therapist"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    reminder_channel = models.CharField(
        _("reminders by"),
        max_length=10,
        choices=ReminderChannel.choices,
        default=ReminderChannel.EMAIL,
    )
    email_consent = models.BooleanField(_("consents to email"), default=False)
    sms_consent = models.BooleanField(_("consents to SMS"), default=False)
    email_undeliverable_at = models.DateTimeField(
        _("email undeliverable since"),
        null=True,
        blank=True,
        help_text=_("A hard bounce stopped email to this address; clear it once corrected."),
    )
    phone_undeliverable_at = models.DateTimeField(
        _("mobile phone undeliverable since"),
        null=True,
        blank=True,
        help_text=_("The SMS provider refused this number; clear it once corrected."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_file",
        verbose_name=_("sign-in account"),
        help_text=_("Made the first time the client asks for a sign-in link."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["primary_therapist", "last_name"]),
        ]

    def picker_label(self) -> str:
        """How staff pick a client: their listed name, then the date of birth and the file
        number, which tell namesakes apart."""
        return f"{self.listed_name} · {self.date_of_birth:%Y-%m-%d} · #{self.pk}"

    def clean(self):
        errors = {}
        if self.sms_consent and not self.phone:
            errors["phone"] = _("A mobile phone is needed for SMS reminders.")
        if self.email_consent and not self.email:
            errors["email"] = _("An email address is needed for email reminders.")
        if errors:
            raise ValidationError(errors)


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in-person", _("In person (signed form)")
    PHONE = "phone", _("By phone (verbal)")
    EMAIL = "email", _("By email")
    CLIENT_PAGE = "client-page", _("By the client, on their page")
    SMS_REPLY = "sms-reply", _("By SMS reply")


class ContactConsent(models.Model):
    """One giving or withdrawal of a client's consent to reminders on a channel: when, how
    and who recorded it, as Canada's anti-spam law asks. The client's flags hold the latest."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="consents", verbose_name=_("client")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    given = models.BooleanField(_("consent given"), help_text=_("Unticked: withdrawn."))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod.choices)
    recorded_at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [models.Index(fields=["client", "-recorded_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.recorded_at:%Y-%m-%d}"


class Authorization(models.Model):
    """A payer's approval of a number of sessions for a client, up to an expiry date."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="authorizations", verbose_name=_("client")
    )
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="authorizations", verbose_name=_("payer")
    )
    reference_number = models.CharField(
        _("claim or referral number"),
        max_length=60,
        help_text=_("Printed on every invoice line for this authorization."),
    )
    sessions_approved = models.PositiveSmallIntegerField(_("sessions approved"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    renewal_submitted_at = models.DateTimeField(
        _("renewal documents submitted"), null=True, blank=True
    )
    renewal_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("renewal submitted by"),
    )
    renewal_note = models.TextField(_("renewal note"), blank=True)
    renewal_document = models.FileField(
        _("renewal document"), upload_to=UnguessableUpload("renewals"), blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_until"]
        verbose_name = _("authorization")
        verbose_name_plural = _("authorizations")
        indexes = [
            models.Index(fields=["client", "valid_until"]),
            # "A newer authorization of the same payer" and the portal's payer filter.
            models.Index(fields=["client", "payer", "valid_from"]),
            models.Index(fields=["payer", "valid_until"]),
            models.Index(fields=["valid_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="authorization_valid_until_after_from",
            ),
        ]

    def __str__(self):
        return f"{self.payer} · {self.reference_number}"

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The expiry cannot be before the start.")})


class ClientStatusAction(models.TextChoices):
    ACTIVATE = "activate", _("Activate")
    DEACTIVATE = "deactivate", _("Deactivate")


class ClientStatusRequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


def client_status_request_line(*, therapist: str, action: str, reason: str) -> str:
    """ "Jordan Lee asks to deactivate the client: <reason>", on staff's pages and tasks."""
    if action == ClientStatusAction.ACTIVATE:
        line = _("%(therapist)s asks to activate the client: %(reason)s")
    else:
        line = _("%(therapist)s asks to deactivate the client: %(reason)s")
    return line % {"therapist": therapist, "reason": reason}


class ClientStatusRequest(models.Model):
    """A therapist asks staff to activate or deactivate one of their clients, saying why;
    staff approve (the client's state changes) or decline, with an optional note. At most one
    pending request per client."""

    therapist = models.ForeignKey(
        Therapist,
        on_delete=models.PROTECT,
        related_name="client_status_requests",
        verbose_name=_("therapist"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="status_requests", verbose_name=_("client")
    )
    action = models.CharField(_("request"), max_length=10, choices=ClientStatusAction.choices)
    reason = models.TextField(_("reason"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ClientStatusRequestState.choices,
        default=ClientStatusRequestState.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("client request")
        verbose_name_plural = _("client requests")
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(state=ClientStatusRequestState.PENDING),
                name="caseload_one_pending_request_per_client",
            ),
            models.CheckConstraint(
                condition=Q(state=ClientStatusRequestState.PENDING, decided_at__isnull=True)
                | (~Q(state=ClientStatusRequestState.PENDING) & Q(decided_at__isnull=False)),
                name="caseload_request_decided_when_not_pending",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.client}"

    def already_decided(self) -> str:
        """Why the request can no longer be decided ("" while pending)."""
        if self.state == ClientStatusRequestState.APPROVED:
            return _("This request was already approved.")
        if self.state == ClientStatusRequestState.DECLINED:
            return _("This request was already declined.")
        return ""
