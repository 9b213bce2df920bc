"""Invoices in the admin: month runs, drafts staff may edit, issue / void / credit actions.

Issued and void invoices are read-only here: they change only through a void or a credit
note (billing.services), each kept in history.
"""

from django.contrib import admin
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
)
from unfold.contrib.import_export.forms import SelectableFieldsExportForm
from unfold.decorators import action, display

from backoffice.admin_base import (
    AnnotatedChoicesFilter,
    AutocompleteFilter,
    CaseloadAdmin,
    CaseloadTabularInline,
)
from backoffice.billing.admin.documents import InvoiceDocumentsAdminMixin
from backoffice.billing.admin.forms import ReasonDialogForm
from backoffice.billing.admin.payer_limits import PayerLimitsAdminMixin
from backoffice.billing.admin.resources import InvoiceResource
from backoffice.billing.admin.views import GenerateInvoicesView
from backoffice.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from backoffice.billing.selectors import (
    PaymentState,
    invoices_matching,
    invoices_with_payment_state,
)
from backoffice.billing.services import (
    invoice_credit,
    invoice_issue,
    invoice_lines_save,
    invoice_void,
)

STATUS_COLOURS = {
    InvoiceStatus.DRAFT.label: "info",
    InvoiceStatus.ISSUED.label: "success",
    InvoiceStatus.VOID.label: "danger",
}


PAYMENT_COLOURS = {
    PaymentState.OPEN.label: "warning",
    PaymentState.PARTLY_PAID.label: "info",
    PaymentState.PAID.label: "success",
}


class PaymentStateFilter(AnnotatedChoicesFilter):
    title = _("payment")
    parameter_name = "payment"
    options = PaymentState
    annotation = "payment_state"


def _is_draft(invoice: Invoice | None) -> bool:
    return invoice is None or invoice.status == InvoiceStatus.DRAFT


class InvoiceLineInline(CaseloadTabularInline):
    model = InvoiceLine
    fields = [
        "service_date",
        "client",
        "therapist",
        "authorization",
        "service_type",
        "description",
        "unit_amount",
        "tax_rate",
        "tax_amount",
        "total_amount",
        "is_void",
        "appointment",
    ]
    readonly_fields = ["tax_amount", "total_amount", "is_void", "appointment"]
    autocomplete_fields = ["client", "therapist", "authorization", "service_type"]
    tab = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("client", "therapist", "authorization__payer", "service_type")
        )

    # Lines change only while their invoice is a draft.
    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Invoice)
class InvoiceAdmin(PayerLimitsAdminMixin, InvoiceDocumentsAdminMixin, ExportMixin, CaseloadAdmin):
    permission_fields = ("status", "kind", "send_status")
    list_display = [
        "number_or_draft",
        "bill_to",
        "period",
        "status_label",
        "total_amount",
        "paid_amount",
        "payment_state_label",
        "send_status_label",
        "due_on",
    ]
    list_select_related = ["payer", "client"]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        PaymentStateFilter,
        ("kind", ChoicesDropdownFilter),
        ("payer", AutocompleteFilter),
        ("period_start", RangeDateFilter),
    ]
    search_fields = ["number"]
    search_help_text = _("Search by number, payer or client name.")
    inlines = [InvoiceLineInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "kind",
                    "number",
                    "status",
                    "payer",
                    "client",
                    "credited_invoice",
                    ("period_start", "period_end"),
                ]
            },
        ),
        (
            _("Dates and amounts"),
            {
                "fields": [
                    ("issued_on", "due_on"),
                    "language",
                    ("subtotal_amount", "tax_amount", "total_amount", "paid_amount"),
                    "payment_state_label",
                    "notes",
                ]
            },
        ),
        (
            _("Sending and void"),
            {"fields": ["send_status", "outbox_message", "voided_at", "void_reason"]},
        ),
    ]
    DRAFT_EDITABLE = ["due_on", "notes"]
    # import-export's page: every field, any format, for the current filters (formulas
    # neutralised in the resource, docs/quality.md).
    resource_classes = [InvoiceResource]
    export_form_class = SelectableFieldsExportForm
    actions = InvoiceDocumentsAdminMixin.document_actions
    actions_list = ["generate_month", *InvoiceDocumentsAdminMixin.document_actions_list]
    actions_row = ["issue_one", "void_one", "credit_one"]
    actions_detail = [
        "issue_one",
        "void_one",
        "credit_one",
        *InvoiceDocumentsAdminMixin.document_actions_detail,
    ]

    def get_readonly_fields(self, request, obj=None):
        every = [
            name
            for _title, options in self.fieldsets
            for entry in options["fields"]
            for name in (entry if isinstance(entry, tuple) else (entry,))
        ]
        if _is_draft(obj):
            return [name for name in every if name not in self.DRAFT_EDITABLE]
        return every

    def get_queryset(self, request):
        # The state of payment is annotated (per-row subquery): one query for the list.
        return invoices_with_payment_state(super().get_queryset(request))

    def save_model(self, request, obj, form, change):
        if _is_draft(obj):  # an issued or void invoice is never saved from here
            super().save_model(request, obj, form, change)

    # Invoices come from month runs and end as void or credited, never deleted.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        """Drafts only: an issued or void invoice opens read-only, with no Save bar."""
        invoice = self.permission_object(request, obj)
        return super().has_change_permission(request) and _is_draft(invoice)

    # Methods, not dotted strings in @action: unfold's check would query Permission at startup.
    def has_issue_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_void_permission(self, request, obj=None):
        invoice = self.permission_object(request, obj)
        return super().has_change_permission(request) and (
            invoice is None or invoice.status != InvoiceStatus.VOID
        )

    def has_credit_permission(self, request, obj=None):
        invoice = self.permission_object(request, obj)
        return super().has_change_permission(request) and (
            invoice is None
            or (invoice.status == InvoiceStatus.ISSUED and invoice.kind == InvoiceKind.INVOICE)
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return invoices_matching(invoices=queryset, term=search_term), False

    def save_formset(self, request, form, formset, change):
        """Lines of a draft go through invoice_lines_save (tax, totals, drafts only)."""
        saved = self.run_service(
            request,
            invoice_lines_save,
            invoice=form.instance,
            lines=formset.save(commit=False),
            removed=formset.deleted_objects,
            by=request.user,
        )
        if saved is None:  # issued meanwhile: nothing of this page is saved
            transaction.set_rollback(True)

    # --- actions ------------------------------------------------------------------------

    @action(
        description=_("Generate invoices for a month"),
        url_path="generate",
        permissions=["generate"],
        icon="receipt_long",
    )
    def generate_month(self, request):
        return GenerateInvoicesView.as_view(model_admin=self)(request)

    def has_generate_permission(self, request, obj=None):
        # A method, not "billing.add_invoice": unfold's check would query Permission at startup.
        return request.user.has_perm("billing.add_invoice")

    def _on_invoice(self, request, object_id, service, *, done: str, **arguments):
        """An invoice's row or page action: `service` on it, reported by run_service (`done`
        names the invoice it returns as %(invoice)s); back to where the dialog opened."""
        self.run_service(
            request,
            service,
            done=lambda invoice: done % {"invoice": invoice},
            invoice=get_object_or_404(self.get_queryset(request), pk=object_id),
            by=request.user,
            **arguments,
        )
        return self.back_after_dialog(request)

    @action(
        description=_("Issue"),
        permissions=["issue"],
        icon="send",
        dialog={
            "form_submit_text": _("Issue"),
            "title": _("Issue this invoice?"),
            "description": _(
                "It gets the next invoice number and its due date; it can no longer be edited."
            ),
        },
    )
    def issue_one(self, request, form, object_id):
        return self._on_invoice(
            request, object_id, invoice_issue, done=_("Invoice %(invoice)s issued.")
        )

    @action(
        description=_("Void"),
        permissions=["void"],
        icon="block",
        dialog={
            "form_submit_text": _("Void"),
            "title": _("Void this invoice?"),
            "description": _(
                "Its sessions become billable again. An issued invoice keeps its number; "
                "a draft is discarded. Not possible once payments are allocated."
            ),
            "form_class": ReasonDialogForm,
        },
    )
    def void_one(self, request, form, object_id):
        return self._on_invoice(
            request,
            object_id,
            invoice_void,
            done=_("Invoice %(invoice)s voided."),
            reason=form.cleaned_data["reason"],
        )

    @action(
        description=_("Credit note"),
        permissions=["credit"],
        icon="undo",
        dialog={
            "form_submit_text": _("Issue the credit note"),
            "title": _("Credit this whole invoice?"),
            "description": _(
                "A numbered credit note cancels every remaining line; their sessions become "
                "billable again."
            ),
            "form_class": ReasonDialogForm,
        },
    )
    def credit_one(self, request, form, object_id):
        return self._on_invoice(
            request,
            object_id,
            invoice_credit,
            done=_("Credit note %(invoice)s issued."),
            reason=form.cleaned_data["reason"],
        )

    # --- columns ------------------------------------------------------------------------

    @display(description=_("number"), ordering="number")
    def number_or_draft(self, invoice):
        return str(invoice)

    @display(description=_("bill to"))
    def bill_to(self, invoice):
        if invoice.payer_id and invoice.client_id:
            return f"{invoice.payer} · {invoice.client}"
        return str(invoice.payer or invoice.client)

    @display(description=_("period"), ordering="period_start")
    def period(self, invoice):
        return f"{invoice.period_start:%Y-%m}"

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, invoice):
        return invoice.get_status_display()

    @display(description=_("payment"), ordering="payment_state", label=PAYMENT_COLOURS)
    def payment_state_label(self, invoice):
        state = getattr(invoice, "payment_state", None)
        return PaymentState(state).label if state else "–"
