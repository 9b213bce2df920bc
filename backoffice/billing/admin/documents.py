"""Invoice documents in the admin: what is about invoices (the lines' exports, CSV, issue and
send) on top of the documents app's PDF, ZIP and Excel actions (`DocumentAdminMixin`).

`InvoiceDocumentsAdminMixin` goes before the ModelAdmin base of the invoice admin; its action
names are listed in `document_actions`, `document_actions_list` and `document_actions_detail`
for that admin to add to `actions`, `actions_list` and `actions_detail`.
"""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action

from backoffice.billing.models import InvoiceStatus
from backoffice.billing.selectors import invoice_lines_of, invoices_for_documents
from backoffice.billing.services import (
    invoice_lines_csv,
    invoice_lines_xlsx,
    invoice_pdf,
    invoice_pdf_filename,
    invoice_recipient,
    invoice_send,
    invoices_csv,
    invoices_issue_and_send_later,
    invoices_send_later,
    invoices_xlsx,
    invoices_zip_stream,
)
from backoffice.documents.admin import DocumentAdminMixin
from backoffice.documents.spreadsheets import XLSX
from backoffice.documents.zips import attachment
from backoffice.messaging.services.documents import sending_refusal


class InvoiceDocumentsAdminMixin(DocumentAdminMixin):
    """PDF, ZIP, Excel/CSV and sending for the invoice ModelAdmin (unfold)."""

    documents_name = "invoices"
    export_permission = "billing.export_invoice"
    document_actions = [
        *DocumentAdminMixin.document_actions,
        "export_invoices_csv",
        "export_lines_xlsx",
        "export_lines_csv",
        "send_selected",
        "issue_and_send_selected",
    ]
    document_actions_detail = [*DocumentAdminMixin.document_actions_detail, "send_invoice"]

    def document_pdf(self, invoice):
        return invoice_pdf(invoice=invoice)

    def document_filename(self, invoice):
        return invoice_pdf_filename(invoice)

    def documents_loaded(self, queryset):
        return invoices_for_documents(queryset)

    def documents_zip_stream(self, ids):
        return invoices_zip_stream(invoice_ids=ids)

    def documents_xlsx(self, queryset):
        return invoices_xlsx(queryset=queryset)

    def has_send_permission(self, request, obj=None):
        """Issued invoices are sent (again only after a failure); sending changes no field
        staff edit, only its status."""
        invoice = self.permission_object(request, obj)
        return request.user.has_perm("billing.change_invoice") and (
            invoice is None
            or (invoice.status == InvoiceStatus.ISSUED and not sending_refusal(invoice))
        )

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
        invoice = self.document_or_404(request, object_id)
        self.run_service(
            request,
            invoice_send,
            done=_("Invoice %(invoice)s queued for email to %(email)s.")
            % {"invoice": invoice, "email": invoice_recipient(invoice)},
            invoice=invoice,
            by=request.user,
        )
        return self.back_after_dialog(request)

    @action(description=_("Export to CSV"), permissions=["export"])
    def export_invoices_csv(self, request, queryset):
        self.documents_exported(request, queryset, "invoices.csv")
        response = StreamingHttpResponse(
            invoices_csv(queryset=queryset), content_type="text/csv; charset=utf-8"
        )
        return attachment(response, "invoices.csv")

    @action(description=_("Export lines to Excel"), permissions=["export"])
    def export_lines_xlsx(self, request, queryset):
        self.documents_exported(request, queryset, "invoice-lines.xlsx")
        response = HttpResponse(
            invoice_lines_xlsx(queryset=invoice_lines_of(queryset)), content_type=XLSX
        )
        return attachment(response, "invoice-lines.xlsx")

    @action(description=_("Export lines to CSV"), permissions=["export"])
    def export_lines_csv(self, request, queryset):
        self.documents_exported(request, queryset, "invoice-lines.csv")
        response = StreamingHttpResponse(
            invoice_lines_csv(queryset=invoice_lines_of(queryset)),
            content_type="text/csv; charset=utf-8",
        )
        return attachment(response, "invoice-lines.csv")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """import-export's page: the exported invoices' clients go in the access log."""
        self.documents_exported(request, queryset, "invoices-export")
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def _send_later(self, request, service, queryset) -> None:
        self.send_later(
            request,
            service,
            queued=lambda count: (
                ngettext("%d invoice queued for email.", "%d invoices queued for email.", count)
                % count
            ),
            invoices=queryset.select_related("payer", "client"),
        )

    @action(description=_("Send by email"), permissions=["send"])
    def send_selected(self, request, queryset):
        self._send_later(request, invoices_send_later, queryset)

    @action(description=_("Issue and send by email"), permissions=["send"])
    def issue_and_send_selected(self, request, queryset):
        self._send_later(request, invoices_issue_and_send_later, queryset)
