"""Sites, rooms, therapists' room reservations and appointments."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from backoffice.caseload.models import Authorization, Client, ServiceType, Therapist
from backoffice.fields import MoneyField


class Site(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.TextField(_("address"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self):
        return self.name


class Room(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=60)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=2, help_text=_("People seated, therapist included.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["site__name", "name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="room_unique_name")]

    def __str__(self):
        return f"{self.site.name} · {self.name}"


class Weekday(models.IntegerChoices):
    # A label alone (capitalised in French); dates in sentences keep Django's "jeudi".
    MONDAY = 0, pgettext_lazy("weekday label", "Monday")
    TUESDAY = 1, pgettext_lazy("weekday label", "Tuesday")
    WEDNESDAY = 2, pgettext_lazy("weekday label", "Wednesday")
    THURSDAY = 3, pgettext_lazy("weekday label", "Thursday")
    FRIDAY = 4, pgettext_lazy("weekday label", "Friday")
    SATURDAY = 5, pgettext_lazy("weekday label", "Saturday")
    SUNDAY = 6, pgettext_lazy("weekday label", "Sunday")


class RoomReservation(models.Model):
    """A therapist holds a room every week on one weekday, for a block of hours."""

    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("room")
    )
    therapist = models.ForeignKey(
        Therapist,
        on_delete=models.CASCADE,
        related_name="room_reservations",
        verbose_name=_("therapist"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    valid_from = models.DateField(_("first day"))
    valid_until = models.DateField(
        _("last day"), null=True, blank=True, help_text=_("Empty: until further notice.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["room", "weekday", "start_time"]
        verbose_name = _("room reservation")
        verbose_name_plural = _("room reservations")
        indexes = [
            models.Index(fields=["room", "weekday"]),
            models.Index(fields=["therapist", "weekday"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="reservation_ends_after_start",
            ),
        ]

    def __str__(self):
        return (
            f"{self.room} · {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        )

    def clean(self):
        errors = {}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = _("The block must end after it starts.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The last day cannot be before the first.")
        if errors:
            raise ValidationError(errors)

    @property
    def hours_per_week(self) -> float:
        start = datetime.combine(datetime.min, self.start_time)
        end = datetime.combine(datetime.min, self.end_time)
        return (end - start).total_seconds() / 3600


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late-cancelled", _("Late-cancelled")
    NO_SHOW = "no-show", _("No-show")


# A session the client missed without cancelling in time: billed only when a fee was charged.
MISSED_STATUSES = (AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW)
CANCELLED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED)


class Attendance(models.TextChoices):
    IN_PERSON = "in-person", _("In person")
    ONLINE = "online", _("Online")


class ConfirmedVia(models.TextChoices):
    SMS = "sms", _("SMS reply")
    EMAIL_LINK = "email-link", _("Link in the email reminder")
    CLIENT_PAGE = "client-page", _("The client's page")
    STAFF = "staff", _("Staff")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")


class AppointmentSeries(models.Model):
    """A recurring booking; each occurrence is an Appointment that can be moved or cancelled."""

    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="series", verbose_name=_("therapist")
    )
    billing_client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="series", verbose_name=_("billing client")
    )
    frequency = models.CharField(_("repeats"), max_length=10, choices=Frequency.choices)
    first_starts_at = models.DateTimeField(_("first occurrence"))
    occurrence_count = models.PositiveSmallIntegerField(_("occurrences"), null=True, blank=True)
    repeat_until = models.DateField(_("repeat until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-first_starts_at"]
        verbose_name = _("appointment series")
        verbose_name_plural = _("appointment series")
        constraints = [
            models.CheckConstraint(
                condition=Q(occurrence_count__isnull=False) | Q(repeat_until__isnull=False),
                name="series_has_an_end",
            ),
        ]

    def __str__(self):
        return f"{self.get_frequency_display()} · #{self.pk}"


# Statuses that hold the therapist's and the room's time; cancelled ones free it.
TIME_HOLDING_STATUSES = ("scheduled", "completed")


class Appointment(models.Model):
    """One service delivered by a therapist to one or more clients, one of whom is billed."""

    therapist = models.ForeignKey(
        Therapist,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="appointments",
        verbose_name=_("therapist"),
    )
    billing_client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="billed_appointments",
        verbose_name=_("billing client"),
    )
    clients = models.ManyToManyField(
        Client,
        related_name="appointments",
        verbose_name=_("clients"),
        help_text=_(
            "Everyone seen: the billing client and, for couples, families and groups, the others."
        ),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, verbose_name=_("service")
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        db_index=False,
        verbose_name=_("room"),
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.SCHEDULED,
    )
    fee_amount = MoneyField(_("fee"))
    authorization = models.ForeignKey(
        Authorization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        db_index=False,
        verbose_name=_("covering authorization"),
    )
    missed_session_fee_amount = MoneyField(
        _("late-cancel / no-show fee"),
        null=True,
        blank=True,
        help_text=_("Charged for a late cancellation or a no-show; empty: nothing charged."),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed by the client"), null=True, blank=True)
    confirmed_via = models.CharField(
        _("confirmed through"), max_length=20, choices=ConfirmedVia.choices, blank=True
    )
    paid_at = models.DateTimeField(
        _("paid"), null=True, blank=True, help_text=_("When payments covered this session.")
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        db_index=False,
        verbose_name=_("series"),
    )
    notes = models.TextField(_("administrative notes"), blank=True)
    history = HistoricalRecords(m2m_fields=[clients])

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        # These serve the foreign keys they lead with (db_index=False on those fields): an index
        # fewer to write on each update (docs/quality.md, Finance import).
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["starts_at"]),
            models.Index(fields=["billing_client", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["authorization", "status"]),
            models.Index(fields=["series", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(attendance="online", room__isnull=True)
                | Q(attendance="in-person", room__isnull=False),
                name="appointment_room_iff_in_person",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} · {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The appointment must end after it starts.")
        if self.attendance == Attendance.IN_PERSON and not self.room_id:
            errors["room"] = _("An in-person appointment needs a room.")
        if self.attendance == Attendance.ONLINE and self.room_id:
            errors["room"] = _("An online appointment has no room.")
        if (
            self.authorization_id
            and self.billing_client_id
            and self.authorization.client_id != self.billing_client_id
        ):
            errors["authorization"] = _("This authorization belongs to another client.")
        if errors:
            raise ValidationError(errors)


class BadFitReason(models.TextChoices):
    TWO_CANCELLATIONS = "two-cancellations", _("Two cancelled sessions in a row")
    NO_SHOW = "no-show", _("Did not show up without cancelling")


class BadFitEntry(models.Model):
    """A client on the Bad Fit list: one open entry per episode, closed when staff remove it."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="bad_fit_entries", verbose_name=_("client")
    )
    therapist = models.ForeignKey(
        Therapist,
        on_delete=models.PROTECT,
        related_name="bad_fit_entries",
        verbose_name=_("therapist"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=BadFitReason.choices)
    appointments = models.ManyToManyField(
        Appointment, related_name="bad_fit_entries", verbose_name=_("triggering appointments")
    )
    opened_at = models.DateTimeField(_("added"), auto_now_add=True)
    notes = models.TextField(_("staff notes"), blank=True)
    resolved_at = models.DateTimeField(_("removed"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("removed by"),
    )
    resolution_note = models.TextField(_("why removed"), blank=True)
    history = HistoricalRecords(m2m_fields=[appointments])

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("Bad Fit entry")
        verbose_name_plural = _("Bad Fit list")
        indexes = [models.Index(fields=["-opened_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(resolved_at__isnull=True),
                name="bad_fit_one_open_episode_per_client",
            ),
        ]

    def __str__(self):
        return f"{self.client} · {self.get_reason_display()}"
