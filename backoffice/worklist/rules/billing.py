"""Rules about money owed and sessions to bill: overdue invoices, payers' submission
deadlines, sessions set aside at invoicing, direct clients with unpaid sessions. Each reads
billing's own selectors, so a task and the billing pages never disagree."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.accounts.models import Role
from backoffice.billing.models import CENT, SetAsideReason
from backoffice.billing.selectors import (
    invoices_receivable,
    payers_near_submission_deadline,
    sessions_set_aside,
    sessions_unpaid_by_client,
    submission_deadline,
)
from backoffice.caseload.models import Authorization, ClientKind
from backoffice.documents.formatting import day, money, person_name
from backoffice.scheduling.models import Appointment
from backoffice.worklist.models import Priority, RuleKey, SubjectType
from backoffice.worklist.rules.authorizations import AUTHORIZATION_LABEL_FIELDS, authorization_label
from backoffice.worklist.rules.base import Cause, Rule

# An invoice this many days past its due date is high priority.
INVOICE_OVERDUE_HIGH_DAYS = 60
# Sessions whose submission deadline is this close are high priority.
SUBMISSION_DEADLINE_HIGH_DAYS = 3


class InvoiceOverdue(Rule):
    """An issued invoice (not a credit note) still has money open past its due date: follow
    up with whoever it is billed to. Paying it in full, voiding or crediting it ends the
    cause. Due on its due date; high priority past INVOICE_OVERDUE_HIGH_DAYS days overdue.
    A credit note names only itself when saved: the sweep ends the credited invoice's task."""

    key = RuleKey.INVOICE_OVERDUE
    subject = SubjectType.INVOICE
    team = Role.FINANCE
    events = {
        "billing.invoice": "pk",
        "billing.payment": "allocations__invoice_id",
        "billing.paymentallocation": "invoice_id",
    }

    def rows(self, *, today, subject_ids):
        return (
            self.only(invoices_receivable(), subject_ids)
            .filter(due_on__lt=today)
            .order_by()
            .values(
                "pk",
                "number",
                "due_on",
                "open_amount",
                "payer__name",
                "client__first_name",
                "client__last_name",
            )
        )

    def cause(self, row, *, today):
        days = (today - row["due_on"]).days
        bill_to = row["payer__name"] or person_name(
            row["client__first_name"], row["client__last_name"]
        )
        return Cause(
            subject_id=row["pk"],
            subject_label=f"{row['number']} · {bill_to}",
            due_on=row["due_on"],
            priority=Priority.HIGH if days > INVOICE_OVERDUE_HIGH_DAYS else Priority.NORMAL,
            # The due date, not the days overdue: facts that change daily would rewrite every
            # open task (and add a history row) each day; `describe` counts the days.
            facts={
                "number": row["number"],
                "open": str(row["open_amount"].quantize(CENT)),  # SQLite drops the cents
                "due": row["due_on"].isoformat(),
            },
        )

    def describe(self, facts):
        days = (timezone.localdate() - date.fromisoformat(facts["due"])).days
        overdue = ngettext("%(days)d day overdue", "%(days)d days overdue", days) % {"days": days}
        return _("%(open)s still open, %(overdue)s: follow up on the payment.") % {
            "open": money(Decimal(facts["open"])),
            "overdue": overdue,
        }


class SubmissionDeadline(Rule):
    """A payer's sessions will soon be past its submission deadline and are on no issued
    invoice (`billing.selectors.sessions_near_submission_deadline`, grouped per payer by
    `payers_near_submission_deadline`: one definition): issue their invoice. Issuing it ends
    the cause. Due on the earliest deadline; high priority within
    SUBMISSION_DEADLINE_HIGH_DAYS days of it."""

    key = RuleKey.SUBMISSION_DEADLINE
    subject = SubjectType.PAYER
    team = Role.FINANCE
    events = {"billing.invoice": "payer_id"}

    def rows(self, *, today, subject_ids):
        return self.only(
            payers_near_submission_deadline(on=today), subject_ids, "authorization__payer_id"
        )

    def cause(self, row, *, today):
        deadline = submission_deadline(
            starts_at=row["first_starts_at"],
            days=row["authorization__payer__submission_deadline_days"],
        )
        soon = deadline <= today + timedelta(days=SUBMISSION_DEADLINE_HIGH_DAYS)
        return Cause(
            subject_id=row["authorization__payer_id"],
            subject_label=row["authorization__payer__name"],
            due_on=deadline,
            priority=Priority.HIGH if soon else Priority.NORMAL,
            facts={"count": row["session_count"], "deadline": deadline.isoformat()},
        )

    def describe(self, facts):
        return ngettext(
            "%(count)d session must be submitted by %(deadline)s: issue its invoice.",
            "%(count)d sessions must be submitted, the first by %(deadline)s: issue their "
            "invoices.",
            facts["count"],
        ) % {"count": facts["count"], "deadline": day(date.fromisoformat(facts["deadline"]))}


class SessionsSetAside(Rule):
    """Sessions of an authorization were set aside at invoicing (past its approved sessions
    or its expiry) and staff have not decided on them: bill the client, extend or write off
    (`billing.services.set_aside.set_aside_decide`); deciding them all ends the cause. Due the
    day it is found.

    The payer-limit rule takes each session's place in date order, in Python
    (`billing.selectors.sessions_set_aside`), so this rule groups that list rather than
    repeating the rule in one SQL query: `causes` instead of `rows`. Three queries for the
    list, one for the labels."""

    key = RuleKey.SESSIONS_SET_ASIDE
    subject = SubjectType.AUTHORIZATION
    team = Role.FINANCE
    events = {"billing.setasidedecision": "authorization_id"}

    def causes(self, *, today, subject_ids):
        reasons = defaultdict(list)
        for session in sessions_set_aside(authorization_ids=subject_ids):
            reasons[session.authorization_id].append(session.reason)
        if not reasons:
            return
        labels = Authorization.objects.filter(pk__in=list(reasons)).values(
            *AUTHORIZATION_LABEL_FIELDS
        )
        for row in labels:
            found = reasons[row["pk"]]
            yield Cause(
                subject_id=row["pk"],
                subject_label=authorization_label(row),
                due_on=today,
                facts={"count": len(found), "reasons": sorted(set(found))},
            )

    def describe(self, facts):
        return ngettext(
            "%(count)d session set aside (%(reasons)s): bill the client, extend or write off.",
            "%(count)d sessions set aside (%(reasons)s): bill the client, extend or write off.",
            facts["count"],
        ) % {
            "count": facts["count"],
            "reasons": ", ".join(str(SetAsideReason(reason).label) for reason in facts["reasons"]),
        }


class DirectClientUnpaid(Rule):
    """A direct client has more than one unpaid session, the rule that makes them red
    (`billing.selectors.sessions_unpaid_by_client`): take a payment or follow up. A payment
    covering the sessions ends the cause. Due the day it is found."""

    key = RuleKey.DIRECT_CLIENT_UNPAID
    subject = SubjectType.CLIENT
    team = Role.FINANCE
    events = {"scheduling.appointment": "billing_client_id", "billing.payment": "client_id"}

    def rows(self, *, today, subject_ids):
        direct = Appointment.objects.filter(billing_client__kind=ClientKind.DIRECT)
        return (
            sessions_unpaid_by_client(self.only(direct, subject_ids, "billing_client_id"))
            .filter(unpaid_count__gt=1)
            .values(
                "billing_client",
                "billing_client__first_name",
                "billing_client__last_name",
                "unpaid_count",
            )
        )

    def cause(self, row, *, today):
        return Cause(
            subject_id=row["billing_client"],
            subject_label=person_name(
                row["billing_client__first_name"], row["billing_client__last_name"]
            ),
            due_on=today,
            facts={"count": row["unpaid_count"]},
        )

    def describe(self, facts):
        return ngettext(
            "%(count)d unpaid session: take a payment or follow up.",
            "%(count)d unpaid sessions: take a payment or follow up.",
            facts["count"],
        ) % {"count": facts["count"]}
