"""The statement admin's forms: the month to run, and a payout's date and reference."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.caseload.models import Therapist


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


class RunStatementsForm(forms.Form):
    month = forms.DateField(
        label=capfirst(_("month")),
        widget=UnfoldAdminSingleDateWidget,
        initial=_last_month,
        help_text=_("Any day of the month to pay out."),
    )
    therapist = forms.ModelChoiceField(
        label=capfirst(_("therapist")),
        queryset=Therapist.objects.order_by("last_name", "first_name"),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text=_("Empty: every therapist."),
    )


class PayoutForm(forms.Form):
    paid_on = forms.DateField(
        label=capfirst(_("paid on")), widget=UnfoldAdminSingleDateWidget, initial=timezone.localdate
    )
    reference = forms.CharField(
        label=capfirst(_("payout reference")),
        max_length=80,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("The cheque number or transfer reference."),
    )


class PayoutDialogForm(PayoutForm, BaseDialogForm):
    pass


PAYOUT_DIALOG = {
    "title": _("Record the payout of this statement?"),
    "description": _("The statement becomes paid, with the date and reference given."),
    "form_submit_text": _("Record payout"),
    "form_class": PayoutDialogForm,
}
