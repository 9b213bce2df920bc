"""Invoice documents in the admin: PDF view and download, ZIP, Excel/CSV, issue and send.

`InvoiceDocumentsAdminMixin` goes before the ModelAdmin base of the invoice admin; its action
names are listed in `document_actions`, `document_actions_list` and `document_actions_detail`
for that admin to add to `actions`, `actions_list` and `actions_detail`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display

from backoffice.billing.exports import (
    invoice_lines_csv,
    invoice_lines_xlsx,
    invoices_csv,
    invoices_xlsx,
)
from backoffice.billing.models import Invoice, InvoiceLine, InvoiceStatus, SendStatus
from backoffice.billing.pdf import invoice_pdf, invoice_pdf_filename, invoices_for_documents
from backoffice.billing.sending import (
    SendBatch,
    invoice_recipient,
    invoice_send,
    invoices_send_later,
    sending_refusal,
)
from backoffice.documents import XLSX, attachment, pdfs_zip_stream

SEND_COLOURS = {
    SendStatus.NOT_SENT.label: "info",
    SendStatus.QUEUED.label: "warning",
    SendStatus.SENT.label: "success",
    SendStatus.FAILED.label: "danger",
}


def _invoices_batch(invoice_ids: list[int]):
    return invoices_for_documents(Invoice.objects.filter(pk__in=invoice_ids)).order_by("pk")


def invoices_zip_stream(*, invoice_ids: list[int]) -> Iterator[bytes]:
    """A ZIP of the invoices' PDFs, streamed; two queries per batch of ZIP_BATCH invoices."""
    yield from pdfs_zip_stream(
        ids=invoice_ids,
        batch=_invoices_batch,
        pdf=lambda invoice: invoice_pdf(invoice=invoice),
        filename=invoice_pdf_filename,
    )


class InvoiceDocumentsAdminMixin:
    """PDF, ZIP, Excel/CSV and sending for the invoice ModelAdmin (unfold)."""

    document_actions = [
        "download_pdfs_zip",
        "export_invoices_xlsx",
        "export_invoices_csv",
        "export_lines_xlsx",
        "export_lines_csv",
        "send_selected",
        "issue_and_send_selected",
    ]
    document_actions_list = ["zip_filtered"]
    list_actions_on_shown_rows = ("documents-zip",)
    document_actions_detail = ["view_pdf", "download_pdf", "send_invoice"]

    # --- URLs -----------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/pdf/",
                view(self.pdf_view),
                name=f"{prefix}_pdf",
            ),
            path(
                "<int:object_id>/pdf/download/",
                view(self.pdf_download_view),
                name=f"{prefix}_pdf_download",
            ),
            *super().get_urls(),
        ]

    def _invoice_or_404(self, request, object_id) -> Invoice:
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = invoices_for_documents(self.get_queryset(request))
        return get_object_or_404(queryset, pk=object_id)

    def pdf_view(self, request, object_id):
        invoice = self._invoice_or_404(request, object_id)
        response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice_pdf_filename(invoice)}"'
        # The PDF opens in the browser's viewer, inside no frame of another site.
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def pdf_download_view(self, request, object_id):
        invoice = self._invoice_or_404(request, object_id)
        response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
        return attachment(response, invoice_pdf_filename(invoice))

    # --- permissions ----------------------------------------------------------------------

    def has_send_permission(self, request, obj=None):
        """Issued invoices are sent (again only after a failure); sending changes no field
        staff edit, only its status."""
        invoice = self.permission_object(request, obj)
        return request.user.has_perm("billing.change_invoice") and (
            invoice is None
            or (invoice.status == InvoiceStatus.ISSUED and not sending_refusal(invoice))
        )

    def has_export_permission(self, request, obj=None):
        """QUALITY S2: exports have their own permission (finance and administrators)."""
        return request.user.has_perm("billing.export_invoice")

    @display(description=_("sending"), ordering="send_status", label=SEND_COLOURS)
    def send_status_label(self, invoice):
        return invoice.get_send_status_display()

    # --- detail actions -------------------------------------------------------------------

    @action(description=_("View PDF"), url_path="view-pdf", permissions=["view"])
    def view_pdf(self, request, object_id):
        return redirect(reverse("admin:billing_invoice_pdf", args=[object_id]))

    @action(description=_("Download PDF"), url_path="download-pdf", permissions=["view"])
    def download_pdf(self, request, object_id):
        return self.pdf_download_view(request, object_id)

    @action(
        description=_("Send by email"),
        url_path="send",
        permissions=["send"],
        icon="send",
        dialog={
            "title": _("Email this invoice?"),
            "description": _("Its PDF goes attached to the bill-to's email address."),
            "form_submit_text": _("Send"),
        },
    )
    def send_invoice(self, request, form, object_id):
        invoice = self._invoice_or_404(request, object_id)
        try:
            invoice_send(invoice=invoice, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Invoice %(invoice)s queued for email to %(email)s.")
                % {"invoice": invoice, "email": invoice_recipient(invoice)},
                messages.SUCCESS,
            )
        return self.back_after_dialog(request)

    # --- list action: a ZIP of everything the current filters show ------------------------

    @action(
        description=_("PDFs of this list (ZIP)"), url_path="documents-zip", permissions=["export"]
    )
    def zip_filtered(self, request):
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        return self._zip_response(queryset)

    # --- bulk actions on selected rows ----------------------------------------------------

    def _zip_response(self, queryset):
        invoice_ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        response = StreamingHttpResponse(
            invoices_zip_stream(invoice_ids=invoice_ids), content_type="application/zip"
        )
        return attachment(response, "invoices.zip")

    @action(description=_("Download PDFs (ZIP)"), permissions=["export"])
    def download_pdfs_zip(self, request, queryset):
        return self._zip_response(queryset)

    @action(description=_("Export to Excel"), permissions=["export"])
    def export_invoices_xlsx(self, request, queryset):
        response = HttpResponse(invoices_xlsx(queryset=queryset), content_type=XLSX)
        return attachment(response, "invoices.xlsx")

    @action(description=_("Export to CSV"), permissions=["export"])
    def export_invoices_csv(self, request, queryset):
        response = StreamingHttpResponse(
            invoices_csv(queryset=queryset), content_type="text/csv; charset=utf-8"
        )
        return attachment(response, "invoices.csv")

    @action(description=_("Export lines to Excel"), permissions=["export"])
    def export_lines_xlsx(self, request, queryset):
        lines = InvoiceLine.objects.filter(invoice__in=queryset.values("pk"))
        response = HttpResponse(invoice_lines_xlsx(queryset=lines), content_type=XLSX)
        return attachment(response, "invoice-lines.xlsx")

    @action(description=_("Export lines to CSV"), permissions=["export"])
    def export_lines_csv(self, request, queryset):
        lines = InvoiceLine.objects.filter(invoice__in=queryset.values("pk"))
        response = StreamingHttpResponse(
            invoice_lines_csv(queryset=lines), content_type="text/csv; charset=utf-8"
        )
        return attachment(response, "invoice-lines.csv")

    def _report_sending(self, request, result: SendBatch) -> None:
        if result.sent:
            self.message_user(
                request,
                ngettext(
                    "%d invoice queued for email.", "%d invoices queued for email.", result.sent
                )
                % result.sent,
            )
        for message in result.refused:
            self.message_user(request, message, level="warning")

    @action(description=_("Send by email"), permissions=["send"])
    def send_selected(self, request, queryset):
        invoices = queryset.select_related("payer", "client")
        self._report_sending(request, invoices_send_later(invoices=invoices, by=request.user))

    @action(description=_("Issue and send by email"), permissions=["send"])
    def issue_and_send_selected(self, request, queryset):
        invoices = queryset.select_related("payer", "client")
        result = invoices_send_later(invoices=invoices, issue_drafts=True, by=request.user)
        self._report_sending(request, result)
