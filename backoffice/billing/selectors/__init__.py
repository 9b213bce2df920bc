"""Billing reads, one module per family; import them from here.

- sessions: who a session is billed to, what a payment taken at the session must know;
- usage: authorization usage, the client colour, a therapist's caseload;
- payer_limits: the payer-limit rule, the sessions set aside and near a submission deadline;
- aging: what each invoice still owes, its state of payment, receivables by age;
- invoices: finding invoices by number, payer or client;
- documents: what the invoice and receipt PDFs print and the invoice exports' rows.
"""

from backoffice.billing.selectors.aging import (
    BUCKETS,
    AgingReport,
    AgingRow,
    PaymentState,
    invoices_receivable,
    invoices_with_open_amount,
    invoices_with_payment_state,
    receivables_aging,
    receivables_by_age,
)
from backoffice.billing.selectors.documents import (
    invoice_export_values,
    invoice_line_export_values,
    invoice_lines_of,
    invoice_live_lines,
    invoices_for_documents,
    receipt_allocations,
)
from backoffice.billing.selectors.invoices import invoice_numbers_like, invoices_matching
from backoffice.billing.selectors.payer_limits import (
    BILLABLE,
    DEADLINE_WARNING_DAYS,
    OVER_MISSED_CAP,
    SESSION_COLUMNS,
    AuthorizationLimits,
    DeadlineSession,
    LimitOutcome,
    PayerSession,
    SetAsideSession,
    authorization_limits,
    invoicing_first_month,
    month_sessions_not_invoiced,
    month_sessions_unbilled,
    payer_limits_apply,
    payer_limits_for_month,
    payer_sessions,
    payer_sessions_unbilled,
    payers_near_submission_deadline,
    session_set_aside,
    sessions_near_submission_deadline,
    sessions_set_aside,
    submission_deadline,
)
from backoffice.billing.selectors.sessions import (
    SESSIONS_PAYABLE_AHEAD_DAYS,
    session_bill_to,
    sessions_payable,
    sessions_unpaid_by_client,
    sessions_with_payment_facts,
)
from backoffice.billing.selectors.usage import (
    ClientStatus,
    authorization_usage,
    authorizations_with_status,
    authorizations_with_usage,
    client_status,
    clients_with_status,
    therapist_caseload,
)

__all__ = [
    "BILLABLE",
    "BUCKETS",
    "DEADLINE_WARNING_DAYS",
    "OVER_MISSED_CAP",
    "SESSIONS_PAYABLE_AHEAD_DAYS",
    "SESSION_COLUMNS",
    "AgingReport",
    "AgingRow",
    "AuthorizationLimits",
    "ClientStatus",
    "DeadlineSession",
    "LimitOutcome",
    "PayerSession",
    "PaymentState",
    "SetAsideSession",
    "authorization_limits",
    "authorization_usage",
    "authorizations_with_status",
    "authorizations_with_usage",
    "client_status",
    "clients_with_status",
    "invoice_export_values",
    "invoice_line_export_values",
    "invoice_lines_of",
    "invoice_live_lines",
    "invoice_numbers_like",
    "invoices_for_documents",
    "invoices_matching",
    "invoices_receivable",
    "invoices_with_open_amount",
    "invoices_with_payment_state",
    "invoicing_first_month",
    "month_sessions_not_invoiced",
    "month_sessions_unbilled",
    "payer_limits_apply",
    "payer_limits_for_month",
    "payer_sessions",
    "payer_sessions_unbilled",
    "payers_near_submission_deadline",
    "receipt_allocations",
    "receivables_aging",
    "receivables_by_age",
    "session_bill_to",
    "session_set_aside",
    "sessions_near_submission_deadline",
    "sessions_payable",
    "sessions_set_aside",
    "sessions_unpaid_by_client",
    "sessions_with_payment_facts",
    "submission_deadline",
    "therapist_caseload",
]
