"""Billing writes: the month run (invoice_run.py), an invoice's life (invoice_lifecycle.py),
numbers (numbering.py), payments (payments.py), the finance import (imports.py), staff's
decisions on sessions set aside (set_aside.py), and the documents: invoice and receipt PDFs
(pdf.py), emailing them (sending.py), the invoice exports and ZIP (exports.py)."""

from backoffice.billing.services.exports import (
    invoice_lines_csv,
    invoice_lines_xlsx,
    invoices_csv,
    invoices_xlsx,
    invoices_zip_stream,
)
from backoffice.billing.services.invoice_lifecycle import (
    invoice_credit,
    invoice_issue,
    invoice_lines_save,
    invoice_totals_refresh,
    invoice_void,
    invoices_issue_and_send_later,
)
from backoffice.billing.services.invoice_run import invoices_generate
from backoffice.billing.services.numbering import document_number_next
from backoffice.billing.services.pdf import invoice_pdf, invoice_pdf_filename, receipt_pdf
from backoffice.billing.services.sending import (
    INVOICES_SEND,
    invoice_recipient,
    invoice_send,
    invoices_send,
    invoices_send_later,
    receipt_send,
)

__all__ = [
    "INVOICES_SEND",
    "document_number_next",
    "invoice_credit",
    "invoice_issue",
    "invoice_lines_csv",
    "invoice_lines_save",
    "invoice_lines_xlsx",
    "invoice_pdf",
    "invoice_pdf_filename",
    "invoice_recipient",
    "invoice_send",
    "invoice_totals_refresh",
    "invoice_void",
    "invoices_csv",
    "invoices_generate",
    "invoices_issue_and_send_later",
    "invoices_send",
    "invoices_send_later",
    "invoices_xlsx",
    "invoices_zip_stream",
    "receipt_pdf",
    "receipt_send",
]
