from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.models import ReminderChannel
from backoffice.fields import Language


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


class PreferencesForm(forms.Form):
    """A client's own reminder choices and language (caseload.services.client_preferences_save
    decides what may be saved)."""

    email_consent = forms.BooleanField(
        label=_("I agree to receive emails from the clinic about my sessions"), required=False
    )
    sms_consent = forms.BooleanField(
        label=_("I agree to receive text messages (SMS) from the clinic about my sessions"),
        required=False,
    )
    reminder_channel = forms.ChoiceField(
        label=_("Remind me of my sessions by"), choices=ReminderChannel.choices
    )
    preferred_language = forms.ChoiceField(label=_("My language"), choices=Language.choices)
