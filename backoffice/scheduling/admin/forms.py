"""Scheduling's admin forms: booking and the Bad Fit removal. They only gather input;
scheduling.services decides."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
)

from backoffice.scheduling.models import Appointment, Frequency
from backoffice.scheduling.services import appointment_series_check, appointment_slot_check

BOOKING_FIELDS = [
    "therapist",
    "billing_client",
    "clients",
    "service_type",
    "starts_at",
    "ends_at",
    "attendance",
    "room",
    "fee_amount",
    "authorization",
    "notes",
]


class AppointmentAdminForm(forms.ModelForm):
    """The appointment add/change form: a conflict or a missing room reservation is a form
    error naming the conflicting appointment, before anything is saved."""

    class Meta:
        model = Appointment
        fields = BOOKING_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "ends_at" in self.fields:
            self.fields["ends_at"].required = False
            self.fields["ends_at"].help_text = _("Empty: the service's default duration.")
        if "clients" in self.fields:
            self.fields["clients"].required = False
            self.fields["clients"].help_text = _(
                "Others seen (couples, families, groups); the billing client is always added."
            )
        if "fee_amount" in self.fields:
            self.fields["fee_amount"].required = False
            self.fields["fee_amount"].help_text = _(
                "Empty: the payer's rate in force (indirect clients) or the service's default fee."
            )
        if "authorization" in self.fields:
            self.fields["authorization"].help_text = _(
                "Empty for an indirect client: the authorization covering the day is linked."
            )

    def clean(self):
        cleaned_data = super().clean()
        starts_at, service_type = cleaned_data.get("starts_at"), cleaned_data.get("service_type")
        if not cleaned_data.get("ends_at") and starts_at and service_type:
            minutes = service_type.default_duration_minutes
            cleaned_data["ends_at"] = starts_at + timedelta(minutes=minutes)
        return cleaned_data

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            self.check_slots()

    def booking(self) -> dict:
        """The appointment as the booking services take it (appointment_book and, with how it
        repeats, appointment_series_book)."""
        data = self.cleaned_data
        return {
            "therapist": data["therapist"],
            "billing_client": data["billing_client"],
            "clients": data.get("clients") or (),
            "service_type": data["service_type"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "attendance": data["attendance"],
            "room": data.get("room"),
            "fee_amount": data.get("fee_amount"),
            "authorization": data.get("authorization"),
            "notes": data.get("notes", ""),
        }

    def check_slots(self) -> None:
        try:
            appointment_slot_check(appointment=self.instance)
        except ValidationError as error:
            self.add_error(None, error)


class AppointmentSeriesAdminForm(AppointmentAdminForm):
    """The first occurrence plus how it repeats; every occurrence is checked before saving."""

    frequency = forms.ChoiceField(
        label=capfirst(_("repeats")), choices=Frequency.choices, widget=UnfoldAdminSelectWidget
    )
    occurrence_count = forms.IntegerField(
        label=capfirst(_("occurrences")),
        min_value=1,
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text=_("How many sessions, the first included."),
    )
    repeat_until = forms.DateField(
        label=capfirst(_("repeat until")),
        required=False,
        widget=UnfoldAdminSingleDateWidget,
        help_text=_("Or the last possible day."),
    )

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("occurrence_count") and not cleaned_data.get("repeat_until"):
            self.add_error("occurrence_count", _("Give a number of occurrences or a last date."))
        return cleaned_data

    def check_slots(self) -> None:
        try:
            appointment_series_check(
                appointment=self.instance,
                frequency=self.cleaned_data["frequency"],
                occurrence_count=self.cleaned_data.get("occurrence_count"),
                repeat_until=self.cleaned_data.get("repeat_until"),
            )
        except ValidationError as error:
            self.add_error(None, error)


class MissedSessionFeeDialogForm(BaseDialogForm):
    """Confirms a cancellation or no-show, with an optional fee for the missed session."""

    missed_session_fee_amount = forms.DecimalField(
        label=capfirst(_("late-cancel / no-show fee")),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=UnfoldAdminDecimalFieldWidget,
        help_text=_("Empty: nothing charged. Only for a late cancellation or a no-show."),
    )


class BadFitRemovalForm(forms.Form):
    note = forms.CharField(
        label=_("Why is the client removed from the list?"),
        widget=UnfoldAdminTextareaWidget,
        help_text=_("Kept with the entry, with who removed it and when."),
    )
