"""The django-import-export resource behind the invoice list's export page (unfold's form).

Export only: invoices are created by the month run, never imported. Every exported text cell
goes through `spreadsheet_safe`, whatever format staff pick, so no formula reaches a
spreadsheet (docs/quality.md, exports).
"""

from import_export import fields, resources

from backoffice.billing.models import Invoice
from backoffice.documents.spreadsheets import spreadsheet_safe


class InvoiceResource(resources.ModelResource):
    bill_to = fields.Field(attribute="bill_to", column_name="bill_to")
    vendor_number = fields.Field(attribute="payer__vendor_number", column_name="vendor_number")

    class Meta:
        model = Invoice
        fields = (
            "number",
            "kind",
            "status",
            "bill_to",
            "vendor_number",
            "issued_on",
            "due_on",
            "period_start",
            "period_end",
            "language",
            "subtotal_amount",
            "tax_amount",
            "total_amount",
            "paid_amount",
            "send_status",
        )
        export_order = fields

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("payer", "client")

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))

    def get_export_headers(self, selected_fields=None):
        return [spreadsheet_safe(header) for header in super().get_export_headers(selected_fields)]

    def dehydrate_bill_to(self, invoice):
        if invoice.payer_id:
            return invoice.payer.name
        return invoice.client.full_name

    def dehydrate_vendor_number(self, invoice):
        return invoice.payer.vendor_number if invoice.payer_id else ""
