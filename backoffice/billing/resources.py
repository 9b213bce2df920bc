"""django-import-export resources for exporting invoices and lines (unfold's export form).

Export only: invoices are created by the month run, never imported. Every exported text cell
goes through `spreadsheet_safe` (S5), whatever format staff pick.
"""

from import_export import fields, resources

from backoffice.billing.models import Invoice, InvoiceLine
from backoffice.documents.spreadsheets import spreadsheet_safe


class SafeExportResource(resources.ModelResource):
    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))

    def get_export_headers(self, selected_fields=None):
        return [spreadsheet_safe(header) for header in super().get_export_headers(selected_fields)]


class InvoiceResource(SafeExportResource):
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

    def dehydrate_bill_to(self, invoice):
        if invoice.payer_id:
            return invoice.payer.name
        return f"{invoice.client.first_name} {invoice.client.last_name}"

    def dehydrate_vendor_number(self, invoice):
        return invoice.payer.vendor_number if invoice.payer_id else ""


class InvoiceLineResource(SafeExportResource):
    invoice_number = fields.Field(attribute="invoice__number", column_name="invoice")
    client_name = fields.Field(column_name="client_legal_name")
    date_of_birth = fields.Field(attribute="client__date_of_birth", column_name="date_of_birth")
    reference = fields.Field(
        attribute="authorization__reference_number", column_name="claim_or_referral_number"
    )
    service = fields.Field(attribute="service_type__name", column_name="service")
    therapist_name = fields.Field(column_name="therapist")
    designation = fields.Field(column_name="designation")
    registration = fields.Field(
        attribute="therapist__registration_number", column_name="registration_number"
    )

    class Meta:
        model = InvoiceLine
        fields = (
            "invoice_number",
            "service_date",
            "client_name",
            "date_of_birth",
            "reference",
            "service",
            "description",
            "therapist_name",
            "designation",
            "registration",
            "unit_amount",
            "tax_rate",
            "tax_amount",
            "total_amount",
            "is_void",
        )
        export_order = fields

    def get_export_queryset(self, request):
        return (
            super()
            .get_export_queryset(request)
            .select_related("invoice", "client", "therapist", "authorization", "service_type")
        )

    def dehydrate_client_name(self, line):
        return f"{line.client.first_name} {line.client.last_name}"

    def dehydrate_therapist_name(self, line):
        return f"{line.therapist.first_name} {line.therapist.last_name}"

    def dehydrate_designation(self, line):
        return line.therapist.get_designation_display()
