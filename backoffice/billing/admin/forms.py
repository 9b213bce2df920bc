"""The billing admin's forms: a month to invoice, a reason to void or credit, a payment and
its allocations, a payment taken at the session, a payments file, a set-aside decision."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.billing.models import Payment, PaymentAllocation, PaymentMethod, SetAsideOutcome
from backoffice.billing.services.imports import FILE_TYPES_HELP
from backoffice.billing.services.payments import payment_allocations_check
from backoffice.caseload.models import Payer
from backoffice.documents.formatting import money

# --- Invoices ------------------------------------------------------------------------------


class GenerateInvoicesForm(forms.Form):
    month = forms.DateField(
        label=capfirst(_("month")),
        widget=UnfoldAdminSingleDateWidget,
        help_text=_("Any day of the month to invoice."),
    )
    payer = forms.ModelChoiceField(
        label=capfirst(_("payer")),
        queryset=Payer.objects.filter(is_active=True),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text=_("Empty: every payer and every self-paying client."),
    )


class ReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(
        label=capfirst(_("reason")),
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        max_length=2000,
    )


# --- Payments ------------------------------------------------------------------------------


class AllocationForm(forms.ModelForm):
    """One row: an invoice and the amount put on it, or a session paid at the session (its
    amount is what the session costs the client)."""

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "appointment", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].required = False

    def clean(self):
        data = super().clean()
        if self.instance.pk or not self.has_changed():
            return data
        if bool(data.get("invoice")) == bool(data.get("appointment")):
            raise ValidationError(_("Choose an invoice or a session (one of them)."))
        if data.get("invoice") and data.get("amount") is None:
            self.add_error("amount", _("Enter the amount put on this invoice."))
        return data


def new_rows(formsets) -> tuple[list[tuple], list]:
    """(invoice, amount) pairs and sessions of the rows staff added in the allocation inline."""
    forms_added = [
        form.cleaned_data
        for formset in formsets
        for form in formset.forms
        if form.has_changed() and not form.instance.pk and form.cleaned_data
    ]
    invoices = [(d["invoice"], d["amount"]) for d in forms_added if d.get("invoice")]
    sessions = [d["appointment"] for d in forms_added if d.get("appointment")]
    return invoices, sessions


class AllocationFormSet(forms.BaseInlineFormSet):
    """Checks new rows before anything is saved, by the payments service's own rules (which
    check again under lock when writing)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        payment = self.instance
        invoices, sessions = new_rows([self])
        if not (invoices or sessions) or (payment.payer_id is None and payment.client_id is None):
            return
        payment_allocations_check(payment=payment, allocations=invoices, sessions=sessions)


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["payer", "client", "amount", "received_on", "method", "reference", "notes"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and bool(data.get("payer")) == bool(data.get("client")):
            raise ValidationError(_("Choose the payer or the client who paid (one of them)."))
        return data


def session_choice_label(session) -> str:
    return "{start} · {service} · {therapist} · {amount}".format(
        start=f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}",
        service=session.service_type,
        therapist=session.therapist,
        amount=money(session.due_amount),
    )


class TakePaymentForm(forms.Form):
    sessions = forms.TypedMultipleChoiceField(
        label=_("Sessions paid"), coerce=int, widget=UnfoldAdminCheckboxSelectMultipleWidget
    )
    amount = forms.DecimalField(
        label=_("Amount received"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        widget=UnfoldAdminDecimalFieldWidget,
        help_text=_("Empty: the total of the sessions ticked. More than that is kept as credit."),
    )
    received_on = forms.DateField(label=_("Received on"), widget=UnfoldAdminSingleDateWidget)
    method = forms.ChoiceField(
        label=_("Method"), choices=PaymentMethod.choices, widget=UnfoldAdminSelectWidget
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=80,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("Card slip or transfer number, if any."),
    )

    def __init__(self, *args, payable: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.payable = {session.pk: session for session in payable}
        self.fields["sessions"].choices = [
            (session.pk, session_choice_label(session)) for session in payable
        ]

    def clean(self):
        data = super().clean()
        chosen = [self.payable[pk] for pk in data.get("sessions", [])]
        data["sessions"] = chosen
        if data.get("amount") is None and chosen:
            data["amount"] = sum((session.due_amount for session in chosen), Decimal("0.00"))
        return data


class PaymentsImportForm(forms.Form):
    file = forms.FileField(
        label=_("Payments file"),
        help_text=FILE_TYPES_HELP,
        widget=UnfoldAdminFileFieldWidget,
    )


# --- Payer limits --------------------------------------------------------------------------


class SetAsideDecisionForm(forms.Form):
    appointment = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Decision"), choices=SetAsideOutcome.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
