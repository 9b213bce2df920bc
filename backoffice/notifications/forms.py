from django import forms

from backoffice.notifications.models import EmailChoice, NotificationKind


class PreferencesForm(forms.Form):
    """One choice of email per kind of notification the user can get."""

    def __init__(self, *args, choices: dict[NotificationKind, EmailChoice], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, email in choices.items():
            self.fields[kind] = forms.ChoiceField(
                label=kind.label,
                choices=EmailChoice.choices,
                initial=email,
                widget=forms.RadioSelect,
            )

    def chosen(self) -> dict[NotificationKind, EmailChoice]:
        return {
            NotificationKind(kind): EmailChoice(email) for kind, email in self.cleaned_data.items()
        }
