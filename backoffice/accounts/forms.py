from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminTextInputWidget

CODE_ATTRS = {"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}


class CodeForm(forms.Form):
    """One code: the authenticator app's six digits, or (when verifying) a recovery code."""

    token = forms.CharField(label=_("Code"), max_length=20)

    def __init__(self, *args, staff: bool, recovery: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["token"]
        attrs = {**CODE_ATTRS, **({} if recovery else {"inputmode": "numeric"})}
        field.widget = UnfoldAdminTextInputWidget(attrs=attrs) if staff else forms.TextInput(attrs)
        if recovery:
            field.help_text = _("The six digits your authenticator app shows, or a recovery code.")
        else:
            field.help_text = _("The six digits your authenticator app shows now.")
