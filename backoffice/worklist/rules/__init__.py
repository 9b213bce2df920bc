"""The worklist's rules, one module per family; `RULES` is every rule by key.

A new rule is a `Rule` subclass in one of these modules (or a new one imported here) and a
`RuleKey` choice; the sweep, the events, the home page and the task list pick it up.
"""

from backoffice.worklist.rules import authorizations, billing, clients, contacts, operations
from backoffice.worklist.rules.base import Cause, Rule

RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        authorizations.AuthorizationRunningOut(),
        authorizations.RenewalUnanswered(),
        authorizations.RenewalDocuments(),
        clients.BadFitCall(),
        clients.ClientStatusRequestPending(),
        billing.InvoiceOverdue(),
        billing.SubmissionDeadline(),
        billing.SessionsSetAside(),
        billing.DirectClientUnpaid(),
        operations.MessageFailed(),
        operations.RunProblems(),
        operations.MonthNotInvoiced(),
        operations.StatementsNotSent(),
        contacts.SmsForStaff(),
        contacts.EmailUndeliverable(),
        contacts.PhoneUndeliverable(),
    )
}

__all__ = ["RULES", "Cause", "Rule"]
