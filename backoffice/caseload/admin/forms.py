"""Caseload's admin forms: renewal documents, an extension, activation, the decision on a
therapist's request, a client's consent. They only gather input; caseload.services decides."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminDateWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.caseload.models import Client, ConsentMethod
from backoffice.caseload.services import CONSENT_FLAGS


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


# How staff hear of a consent; the client's page and SMS replies record their own.
STAFF_CONSENT_METHODS = [ConsentMethod.IN_PERSON, ConsentMethod.PHONE, ConsentMethod.EMAIL]


class ClientAdminForm(forms.ModelForm):
    """The client's page: a change to a consent box is saved as a consent record (how, note,
    staff member, time) through `caseload.services.client_consent_record`, never as a plain
    checkbox (ClientAdmin.save_model)."""

    consent_method = forms.ChoiceField(
        label=_("How the client gave or withdrew consent"),
        choices=[("", "---------"), *((m.value, m.label) for m in STAFF_CONSENT_METHODS)],
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text=_("Needed when a consent box changes."),
    )
    consent_note = forms.CharField(
        label=_("Consent note"), max_length=255, required=False, widget=UnfoldAdminTextInputWidget
    )

    class Meta:
        model = Client
        fields = ["email_consent", "sms_consent"]  # the admin adds the fieldsets' fields

    def consent_changes(self) -> dict[str, bool]:
        """The channels whose consent box changed, and to what."""
        return {
            channel: self.cleaned_data[flag]
            for channel, flag in CONSENT_FLAGS.items()
            if flag in self.changed_data
        }

    def clean(self):
        cleaned = super().clean()
        if self.consent_changes() and not cleaned.get("consent_method"):
            self.add_error("consent_method", _("Say how the client gave or withdrew consent."))
        return cleaned
