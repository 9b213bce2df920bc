"""Caseload's admin forms: renewal documents, an extension, activation, the decision on a
therapist's request. They only gather input; caseload.services decides."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminDateWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
)


class ScriptsMedia:
    # The admin calendar needs these before unfold's date widgets.
    js = [
        "admin/js/vendor/jquery/jquery.min.js",
        "admin/js/jquery.init.js",
        "admin/js/core.js",
        "admin/js/calendar.js",
        "admin/js/admin/DateTimeShortcuts.js",
    ]


class RenewalSubmitForm(forms.Form):
    submitted_at = forms.SplitDateTimeField(
        label=_("Documents sent to the payer"), widget=UnfoldAdminSplitDateTimeWidget
    )
    note = forms.CharField(
        label=_("Renewal note"), required=False, widget=UnfoldAdminTextareaWidget
    )
    document = forms.FileField(
        label=_("Renewal document"), required=False, widget=UnfoldAdminFileFieldWidget
    )

    Media = ScriptsMedia


class ExtensionForm(forms.Form):
    sessions_approved = forms.IntegerField(
        label=_("Sessions approved (new total)"),
        required=False,
        min_value=1,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    valid_until = forms.DateField(
        label=_("New expiry"), required=False, widget=UnfoldAdminDateWidget
    )
    note = forms.CharField(
        label=_("Note (kept in history)"), required=False, widget=UnfoldAdminTextareaWidget
    )

    Media = ScriptsMedia

    def clean(self):
        data = super().clean()
        if data.get("sessions_approved") is None and data.get("valid_until") is None:
            raise ValidationError(_("Enter a new number of sessions, a new expiry, or both."))
        return data


class ActivationForm(forms.Form):
    note = forms.CharField(
        label=_("Why (kept in history)"), required=False, widget=UnfoldAdminTextareaWidget
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note (kept with the request)"),
        required=False,
        widget=UnfoldAdminTextareaWidget,
    )
