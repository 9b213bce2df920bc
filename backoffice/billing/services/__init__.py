"""Billing writes: invoice runs and an invoice's life (invoicing.py), numbers (numbering.py)."""

from backoffice.billing.models import document_number_format
from backoffice.billing.services.invoicing import (
    GeneratedInvoices,
    invoice_credit,
    invoice_issue,
    invoice_lines_save,
    invoice_totals_refresh,
    invoice_void,
    invoices_generate,
    line_amounts,
)
from backoffice.billing.services.numbering import document_number_next

__all__ = [
    "GeneratedInvoices",
    "document_number_format",
    "document_number_next",
    "invoice_credit",
    "invoice_issue",
    "invoice_lines_save",
    "invoice_totals_refresh",
    "invoice_void",
    "invoices_generate",
    "line_amounts",
]
