"""Payments (with their allocations) and receipts in the admin, with the pages reached from
the payments list: take a payment at the session, import payments, receivables (admin.views).

Every write goes through billing.services.payments or billing.services.imports.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin, CaseloadTabularInline
from backoffice.billing.admin.forms import AllocationForm, AllocationFormSet, PaymentForm, new_rows
from backoffice.billing.admin.views import (
    PaymentsImportView,
    ReceivablesView,
    TakePaymentView,
    admin_page,
)
from backoffice.billing.models import Payment, PaymentAllocation, Receipt
from backoffice.billing.services import receipt_pdf, receipt_send
from backoffice.billing.services.payments import (
    payment_allocate,
    payment_allocate_oldest,
    payment_record,
    payment_sessions_pay,
)
from backoffice.documents.formatting import money
from backoffice.messaging.services.documents import sending_refusal


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
        ("payer", AutocompleteFilter),
        ("client", AutocompleteFilter),
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

        def allocate_more() -> Payment:
            for invoice, amount in rows:
                payment_allocate(payment=payment, invoice=invoice, amount=amount, by=request.user)
            if sessions:
                payment_sessions_pay(payment=payment, sessions=sessions, by=request.user)
            return payment

        if change:
            saved = self.run_service(request, allocate_more)
        else:
            data = form.cleaned_data
            saved = self.run_service(
                request,
                payment_record,
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
        if saved is None:  # taken meanwhile by another allocation: nothing is saved
            transaction.set_rollback(True)
            payment.pk = None
        else:
            payment.pk = saved.pk
            payment._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return redirect("admin:billing_payment_changelist")
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        return [
            path("take/", admin_page(self, TakePaymentView), name="billing_payment_take"),
            path("import/", admin_page(self, PaymentsImportView), name="billing_payment_import"),
            path(
                "receivables/",
                admin_page(self, ReceivablesView),
                name="billing_payment_receivables",
            ),
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
        allocations = self.run_service(
            request,
            payment_allocate_oldest,
            done=lambda allocations: (
                _("%(count)s invoice(s) paid from the credit; %(left)s left.")
                % {
                    "count": len(allocations),
                    "left": money(payment.amount - payment.allocated_amount),
                }
                if allocations
                else None
            ),
            payment=payment,
            by=request.user,
        )
        if allocations == []:
            self.message_user(
                request, _("No credit left, or no open invoice for this payer."), messages.INFO
            )
        return self.back_after_dialog(request)


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
        receipt = self._receipt_or_404(request, object_id)
        self.run_service(
            request,
            receipt_send,
            done=_("Receipt %(number)s queued.") % {"number": receipt},
            receipt=receipt,
            by=request.user,
        )
        return self.back_after_dialog(request)
