from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.scheduling.models import AppointmentStatus
from backoffice.scheduling.services import PORTAL_OUTCOMES


class ClientRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Staff read this before they decide."),
    )


class RenewalUploadForm(forms.Form):
    document = forms.FileField(
        label=_("Renewal documents"),
        help_text=_("One PDF, JPEG or PNG file (a PDF can hold several pages)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    note = forms.CharField(
        label=_("Note for staff"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttendanceForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened"),
        choices=[(status, AppointmentStatus(status).label) for status in PORTAL_OUTCOMES],
        widget=forms.RadioSelect,
    )
    cancelled_at = forms.DateTimeField(
        label=_("When the client cancelled"),
        required=False,
        help_text=_("For a cancellation; empty means now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
