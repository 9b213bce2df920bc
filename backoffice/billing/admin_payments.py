"""Payments (with their allocations), receipts, the finance import and the receivables page.

Registered from BillingConfig.ready(); every write goes through billing.services.payments or
billing.services.imports.
"""

import secrets
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.admin_base import CaseloadAdmin, CaseloadTabularInline
from backoffice.billing.models import Payment, PaymentAllocation, PaymentMethod, Receipt
from backoffice.billing.selectors import (
    BUCKETS,
    receivables_aging,
    sessions_payable,
    sessions_with_payment_facts,
)
from backoffice.billing.sending import sending_refusal
from backoffice.billing.services.imports import (
    FILE_TYPES_HELP,
    MAX_CELL_CHARS,
    MAX_EMPTY_ROWS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    payments_import,
    staged_import_delete,
    staged_import_save,
    staged_import_take,
)
from backoffice.billing.services.payments import (
    payment_allocate,
    payment_allocate_oldest,
    payment_allocations_check,
    payment_record,
    payment_sessions_pay,
    session_payment_refusal,
)
from backoffice.caseload.models import Client
from backoffice.money import money

PREVIEW_ROWS = 500
PREVIEW_REPEATED = 50


def payments_import_allowed(user) -> bool:
    """QUALITY S2: importing money has its own permission (finance and administrators)."""
    return user.is_active and user.is_staff and user.has_perm("billing.import_payment")


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


class PaymentAllocationInline(CaseloadTabularInline):
    model = PaymentAllocation
    form = AllocationForm
    formset = AllocationFormSet
    fields = ["invoice", "appointment", "amount", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["invoice", "appointment"]
    tab = False
    verbose_name_plural = _("Allocated to invoices and sessions")

    def has_change_permission(self, request, obj=None):
        return False  # an allocation is money moved: new ones only, never edited

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["payer", "client", "amount", "received_on", "method", "reference", "notes"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and bool(data.get("payer")) == bool(data.get("client")):
            raise ValidationError(_("Choose the payer or the client who paid (one of them)."))
        return data


@admin.register(Payment)
class PaymentAdmin(CaseloadAdmin):
    form = PaymentForm
    list_display = [
        "received_on",
        "bill_to",
        "amount",
        "allocated_amount",
        "credit_amount",
        "method",
        "reference",
        "receipt_link",
    ]
    list_select_related = ["payer", "client", "receipt"]
    list_filter = [
        ("method", ChoicesDropdownFilter),
        ("payer", AutocompleteSelectFilter),
        ("client", AutocompleteSelectFilter),
    ]
    search_fields = ["reference"]
    search_help_text = _("Search by cheque or transfer reference.")
    autocomplete_fields = ["payer", "client"]
    inlines = [PaymentAllocationInline]
    actions_list = ["open_import", "open_receivables"]
    actions_detail = ["allocate_oldest"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # money received is corrected by a new payment, not an edit
            return ["payer", "client", "amount", "received_on", "method", "allocated_amount"]
        return []

    def get_fields(self, request, obj=None):
        fields = ["payer", "client", "amount", "received_on", "method", "reference", "notes"]
        return [*fields, "allocated_amount"] if obj else fields

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("from"))
    def bill_to(self, payment):
        return payment.payer or payment.client

    @display(description=_("credit"))
    def credit_amount(self, payment):
        return money(payment.amount - payment.allocated_amount)

    @display(description=_("receipt"))
    def receipt_link(self, payment):
        receipt = getattr(payment, "receipt", None)
        if receipt is None:
            return "–"
        url = reverse("admin:billing_receipt_change", args=[receipt.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, receipt.number)

    def save_model(self, request, obj, form, change):
        if change:
            obj._history_user = request.user
            obj.save(update_fields=["reference", "notes"])
        # New payments are written with their allocations in save_related (one service call).

    def save_related(self, request, form, formsets, change):
        rows, sessions = new_rows(formsets)
        for formset in formsets:  # the service saved them; the change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        payment = form.instance
        try:
            if change:
                for invoice, amount in rows:
                    payment_allocate(
                        payment=payment, invoice=invoice, amount=amount, by=request.user
                    )
                if sessions:
                    payment_sessions_pay(payment=payment, sessions=sessions, by=request.user)
            else:
                data = form.cleaned_data
                recorded = payment_record(
                    payer=data.get("payer"),
                    client=data.get("client"),
                    amount=data["amount"],
                    received_on=data["received_on"],
                    method=data["method"],
                    reference=data.get("reference", ""),
                    notes=data.get("notes", ""),
                    allocations=rows,
                    sessions=sessions,
                    by=request.user,
                )
                payment.pk = recorded.pk
                payment._state.adding = False
        except ValidationError as error:  # taken meanwhile by another allocation
            transaction.set_rollback(True)
            payment.pk = None
            for message in error.messages:
                messages.error(request, message)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return redirect("admin:billing_payment_changelist")
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        def view(cls):
            return self.admin_site.admin_view(cls.as_view(model_admin=self))

        return [
            path("take/", view(TakePaymentView), name="billing_payment_take"),
            path("import/", view(PaymentsImportView), name="billing_payment_import"),
            path("receivables/", view(ReceivablesView), name="billing_payment_receivables"),
            *super().get_urls(),
        ]

    @action(description=_("Import payments"), icon="upload_file", url_path="open-import")
    def open_import(self, request):
        return redirect("admin:billing_payment_import")

    @action(description=_("Receivables"), icon="hourglass_bottom", url_path="open-receivables")
    def open_receivables(self, request):
        return redirect("admin:billing_payment_receivables")

    @action(
        description=_("Allocate credit to oldest invoices"),
        icon="playlist_add_check",
        url_path="allocate-oldest",
        permissions=["change"],
        dialog={
            "title": _("Allocate the credit to the oldest invoices?"),
            "description": _(
                "What is left of this payment pays the bill-to's open invoices, oldest first."
            ),
            "form_submit_text": _("Allocate"),
        },
    )
    def allocate_oldest(self, request, form, object_id):
        payment = get_object_or_404(self.get_queryset(request), pk=object_id)
        allocations = payment_allocate_oldest(payment=payment, by=request.user)
        if allocations:
            messages.success(
                request,
                _("%(count)s invoice(s) paid from the credit; %(left)s left.")
                % {
                    "count": len(allocations),
                    "left": money(payment.amount - payment.allocated_amount),
                },
            )
        else:
            messages.info(request, _("No credit left, or no open invoice for this payer."))
        return self.back_after_dialog(request)


# --- Taking payment at the session ---------------------------------------------------------


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


def session_choice_label(session) -> str:
    return "{start} · {service} · {therapist} · {amount}".format(
        start=f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}",
        service=session.service_type,
        therapist=session.therapist,
        amount=money(session.due_amount),
    )


class TakePaymentView(UnfoldModelAdminViewMixin, FormView):
    """A self-paying client pays at the session: tick the sessions, record the money; they are
    paid at once and the receipt is emailed (billing.services.payments.payment_record).

    Opened from an appointment (`?appointment=<id>`, that session ticked) or a client's page
    (`?client=<id>`).
    """

    title = _("Take payment")
    form_class = TakePaymentForm
    template_name = "admin/billing/payment/take.html"
    permission_required = ("billing.add_payment",)

    def get_form_kwargs(self):
        # Here, not in dispatch: after the permission check (bad ids answer 404).
        appointment_id = self.request.GET.get("appointment", "")
        client_id = self.request.GET.get("client", "")
        self.appointment = None
        if appointment_id:
            self.appointment = get_object_or_404(
                sessions_with_payment_facts().select_related("billing_client"),
                pk=int(appointment_id) if appointment_id.isdigit() else 0,
            )
            self.client = self.appointment.billing_client
        else:
            self.client = get_object_or_404(Client, pk=int(client_id) if client_id.isdigit() else 0)
        self.title = _("Take payment from %(client)s") % {"client": self.client}
        self.payable = sessions_payable(client=self.client)
        return {**super().get_form_kwargs(), "payable": self.payable}

    def get_initial(self):
        ticked = [s for s in self.payable if self.appointment and s.pk == self.appointment.pk]
        return {
            "sessions": [session.pk for session in ticked],
            "amount": sum((session.due_amount for session in ticked), Decimal("0.00")) or None,
            "received_on": timezone.localdate(),
            "method": PaymentMethod.CARD,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)  # builds the form, which loads the client
        refusal = None
        if self.appointment is not None:
            refusal = session_payment_refusal(
                appointment=self.appointment, client_id=self.client.pk
            )
        return {
            **context,
            "title": self.title,
            "opts": Payment._meta,
            "client": self.client,
            "refusal": refusal,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            payment = payment_record(
                client=self.client,
                amount=data["amount"],
                received_on=data["received_on"],
                method=data["method"],
                reference=data.get("reference", ""),
                sessions=data["sessions"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(
            self.request,
            ngettext(
                "%(amount)s received from %(client)s: %(count)d session paid, receipt "
                "%(receipt)s emailed.",
                "%(amount)s received from %(client)s: %(count)d sessions paid, receipt "
                "%(receipt)s emailed.",
                len(data["sessions"]),
            )
            % {
                "amount": money(payment.amount),
                "client": self.client,
                "count": len(data["sessions"]),
                "receipt": payment.receipt.number,
            },
        )
        return redirect("admin:billing_payment_change", payment.pk)


# --- Receipts ------------------------------------------------------------------------------


@admin.register(Receipt)
class ReceiptAdmin(CaseloadAdmin):
    list_display = ["number", "issued_on", "client", "amount", "send_status"]
    list_select_related = ["payment__client"]
    list_filter = [("send_status", ChoicesDropdownFilter)]
    search_fields = ["number"]
    readonly_fields = ["number", "payment", "issued_on", "send_status", "outbox_message"]
    permission_fields = ("send_status",)
    fields = readonly_fields
    actions_detail = ["download_pdf", "send_again"]

    def has_add_permission(self, request):
        return False  # receipts come from recorded payments

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("client"))
    def client(self, receipt):
        return receipt.payment.client

    @display(description=_("amount"))
    def amount(self, receipt):
        return money(receipt.payment.amount)

    def has_send_permission(self, request, obj=None):
        """A receipt is sent again only when its email was never sent, or failed."""
        receipt = self.permission_object(request, obj)
        return self.has_change_permission(request) and (
            receipt is None or not sending_refusal(receipt)
        )

    def _receipt_or_404(self, request, object_id) -> Receipt:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            self.get_queryset(request).select_related("payment__client"), pk=object_id
        )

    @action(description=_("PDF"), icon="picture_as_pdf", url_path="pdf", permissions=["view"])
    def download_pdf(self, request, object_id):
        from backoffice.billing.pdf import receipt_pdf

        receipt = self._receipt_or_404(request, object_id)
        response = HttpResponse(receipt_pdf(receipt=receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
        return response

    @action(
        description=_("Send again"),
        icon="send",
        url_path="send",
        permissions=["send"],
        dialog={
            "title": _("Email this receipt to the client?"),
            "description": _("Its PDF goes attached to the client's email address."),
            "form_submit_text": _("Send"),
        },
    )
    def send_again(self, request, form, object_id):
        from backoffice.billing.sending import receipt_send

        receipt = self._receipt_or_404(request, object_id)
        try:
            receipt_send(receipt=receipt, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Receipt %(number)s queued.") % {"number": receipt})
        return self.back_after_dialog(request)


# --- Finance import ------------------------------------------------------------------------


class PaymentsImportForm(forms.Form):
    file = forms.FileField(
        label=_("Payments file"),
        help_text=FILE_TYPES_HELP,
        widget=UnfoldAdminFileFieldWidget,
    )


class PaymentsImportView(UnfoldModelAdminViewMixin, FormView):
    """Upload → preview (a dry run: what would be recorded, every problem by line) → confirm.

    The previewed file waits in the configured storage (services.imports.staged_import_save);
    the session maps the page's random token to it, so the confirmed import records exactly
    the file previewed (checked again under lock). Confirm or cancel deletes it; the worker
    sweeps what is left after a day.
    """

    title = _("Import payments")
    form_class = PaymentsImportForm
    template_name = "billing/admin/payments_import.html"
    permission_required = ("billing.add_payment",)

    def has_permission(self):
        return payments_import_allowed(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "required_columns": REQUIRED_COLUMNS,
                "optional_columns": OPTIONAL_COLUMNS,
                "methods": PaymentMethod.values,
                "limits": {
                    "rows": number_format(MAX_ROWS, force_grouping=True),
                    "empty_rows": number_format(MAX_EMPTY_ROWS, force_grouping=True),
                    "cell_chars": MAX_CELL_CHARS,
                },
            }
        )
        return context

    def _preview(self, result, *, token: str | None, name: str):
        return self.render_to_response(
            self.get_context_data(
                form=self.get_form_class()(),
                result=result,
                shown_problems=result.problems[:PREVIEW_ROWS],
                hidden_problems=max(len(result.problems) - PREVIEW_ROWS, 0),
                shown_repeated=result.repeated[:PREVIEW_REPEATED],
                hidden_repeated=max(len(result.repeated) - PREVIEW_REPEATED, 0),
                shown_lines=result.lines[:PREVIEW_ROWS],
                hidden_count=max(len(result.lines) - PREVIEW_ROWS, 0),
                token=token,
                file_name=name,
            )
        )

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", _("The file is larger than 10 MB."))
            return self.form_invalid(form)
        name, content = upload.name, upload.read()
        result = payments_import(name=name, content=content, dry_run=True)
        token = None
        if result.ok:
            token = secrets.token_urlsafe(16)
            path = staged_import_save(name=name, content=content)
            self.request.session[f"payments-import:{token}"] = {"path": path, "name": name}
        return self._preview(result, token=token, name=name)

    def post(self, request, *args, **kwargs):
        if "_confirm" not in request.POST and "_cancel" not in request.POST:
            return super().post(request, *args, **kwargs)
        staged = request.session.pop(f"payments-import:{request.POST.get('token', '')}", None)
        if "_cancel" in request.POST:
            if staged:
                staged_import_delete(path=staged["path"])
            messages.info(request, _("Import cancelled: nothing was recorded."))
            return redirect("admin:billing_payment_import")
        content = staged_import_take(path=staged["path"]) if staged else None
        if content is None:
            messages.error(request, _("That preview has expired: upload the file again."))
            return redirect("admin:billing_payment_import")
        result = payments_import(
            name=staged["name"],
            content=content,
            by=request.user,
            repeated_rows_confirmed=request.POST.get("repeated_rows_confirmed") == "1",
        )
        if not result.saved:
            return self._preview(result, token=None, name=staged["name"])
        messages.success(
            request,
            _("%(payments)s payment(s) recorded from %(rows)s row(s), %(total)s in all.")
            % {
                "payments": result.payments_count,
                "rows": len(result.lines),
                "total": money(result.total_amount),
            },
        )
        return redirect("admin:billing_payment_changelist")


# --- Receivables ---------------------------------------------------------------------------


class ReceivablesView(UnfoldModelAdminViewMixin, TemplateView):
    """What payers and direct clients owe, by age, each row linking to its invoices."""

    title = _("Receivables")
    template_name = "billing/admin/receivables.html"
    permission_required = ("billing.view_invoice",)

    def get_context_data(self, **kwargs):
        try:
            on = date.fromisoformat(self.request.GET.get("on", ""))
        except ValueError:
            on = timezone.localdate()
        report = receivables_aging(on=on)
        invoices_url = reverse("admin:billing_invoice_changelist")
        for row in report.payers:
            row.url = f"{invoices_url}?status__exact=issued&payer__id__exact={row.pk}"
        for row in report.clients:
            row.url = (
                f"{invoices_url}?status__exact=issued&payer__isnull=True&client__id__exact={row.pk}"
            )
        for row in report.payers + report.clients:
            row.overdue_url = f"{row.url}&due_on__lt={on:%Y-%m-%d}"
            row.amounts = [row.buckets[key] for key, *_rest in BUCKETS]
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "report": report,
                "bucket_labels": [label for _key, label, *_rest in BUCKETS],
                "bucket_totals": [report.totals[key] for key, *_rest in BUCKETS],
                "sections": [
                    (_("Payers"), report.payers),
                    (_("Direct clients"), report.clients),
                ],
            }
        )
        return context
