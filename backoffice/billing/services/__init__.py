"""Billing writes: the month run (invoice_run.py), an invoice's life (invoice_lifecycle.py),
numbers (numbering.py), payments (payments.py), the finance import (imports.py) and staff's
decisions on sessions set aside (set_aside.py)."""

from backoffice.billing.services.invoice_lifecycle import (
    invoice_credit,
    invoice_issue,
    invoice_lines_save,
    invoice_totals_refresh,
    invoice_void,
)
from backoffice.billing.services.invoice_run import GeneratedInvoices, invoices_generate
from backoffice.billing.services.numbering import document_number_next

__all__ = [
    "GeneratedInvoices",
    "document_number_next",
    "invoice_credit",
    "invoice_issue",
    "invoice_lines_save",
    "invoice_totals_refresh",
    "invoice_void",
    "invoices_generate",
]
