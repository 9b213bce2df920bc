"""Rules about the clinic's operations: messages that failed, month runs that reported
problems, last month not invoiced, last month's statements not sent."""

from collections.abc import Collection
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.accounts.models import Role
from backoffice.billing.selectors import month_sessions_not_invoiced
from backoffice.documents.formatting import month as month_name
from backoffice.documents.models import SendStatus
from backoffice.messaging.models import Channel, OutboxStatus, Purpose
from backoffice.messaging.selectors import outbox_messages_failed
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.worklist.models import Priority, RuleKey, RunKind, RunReport, SubjectType
from backoffice.worklist.rules.base import Cause, Rule
from backoffice.zone_data import month_bounds

# Emails carrying documents: the money waits on them (a payer pays an invoice it received).
DOCUMENT_PURPOSES = (Purpose.INVOICE, Purpose.RECEIPT, Purpose.STATEMENT)


class MessageFailed(Rule):
    """An email or SMS failed for good (a permanent error, or its retries ran out), or its
    worker stopped after handing it to the provider (unconfirmed: it may have gone): look at
    its error and send it again from the outbox (or the document's page). Sending it again
    (queued, then sent) ends the cause. High priority for invoices, receipts and statements.
    The label names the channel and purpose, never the recipient or the text."""

    key = RuleKey.MESSAGE_FAILED
    subject = SubjectType.MESSAGE
    events = {"messaging.outboxmessage": "pk"}

    def rows(self, *, today, subject_ids):
        return self.only(outbox_messages_failed(), subject_ids).values(
            "pk", "channel", "purpose", "attempt_count", "status"
        )

    def cause(self, row, *, today):
        channel, purpose = Channel(row["channel"]), Purpose(row["purpose"])
        return Cause(
            subject_id=row["pk"],
            subject_label=f"{purpose.label} · {channel.label} #{row['pk']}",
            due_on=today,
            priority=Priority.HIGH if purpose in DOCUMENT_PURPOSES else Priority.NORMAL,
            facts={
                "purpose": purpose.value,
                "channel": channel.value,
                "attempts": row["attempt_count"],
                "unconfirmed": row["status"] == OutboxStatus.UNCONFIRMED,
            },
        )

    def describe(self, facts):
        if facts.get("unconfirmed"):
            return _(
                "%(purpose)s %(channel)s may have gone: sending stopped after the provider got "
                "it. Check with the recipient before sending it again from the outbox."
            ) % {
                "purpose": Purpose(facts["purpose"]).label,
                "channel": Channel(facts["channel"]).label.lower(),
            }
        return ngettext(
            "%(purpose)s %(channel)s failed after %(count)d attempt: check the address and "
            "send it again from the outbox.",
            "%(purpose)s %(channel)s failed after %(count)d attempts: check the address and "
            "send it again from the outbox.",
            facts["attempts"],
        ) % {
            "purpose": Purpose(facts["purpose"]).label,
            "channel": Channel(facts["channel"]).label.lower(),
            "count": facts["attempts"],
        }


class RunProblems(Rule):
    """The last invoice or statement run over a whole month reported problems (a missing
    rate, sessions set aside…): fix them and run the month again. A later run of the month
    without problems ends the cause. Due the day it was reported; the problems themselves
    stay in the report (`RunReport`), for the task's page. No `events`: the run's signal is
    the event (worklist.events: the report is written, then this rule runs for it)."""

    key = RuleKey.RUN_PROBLEMS
    subject = SubjectType.RUN
    team = Role.FINANCE

    def rows(self, *, today, subject_ids):
        return self.only(RunReport.objects.all(), subject_ids).values(
            "pk", "kind", "month", "problems", "reported_at"
        )

    def cause(self, row, *, today):
        if not row["problems"]:
            return None
        return Cause(
            subject_id=row["pk"],
            subject_label=f"{RunKind(row['kind']).label} {row['month']:%Y-%m}",
            due_on=timezone.localdate(row["reported_at"]),
            facts={
                "kind": row["kind"],
                "month": row["month"].isoformat(),
                "count": len(row["problems"]),
            },
        )

    def describe(self, facts):
        what = {
            RunKind.INVOICES: ngettext(
                "The invoice run of %(month)s reported %(count)d problem: fix it and run the "
                "month again.",
                "The invoice run of %(month)s reported %(count)d problems: fix them and run the "
                "month again.",
                facts["count"],
            ),
            RunKind.STATEMENTS: ngettext(
                "The statement run of %(month)s reported %(count)d problem: fix it and run the "
                "month again.",
                "The statement run of %(month)s reported %(count)d problems: fix them and run "
                "the month again.",
                facts["count"],
            ),
        }[facts["kind"]]
        return what % {
            "month": month_name(date.fromisoformat(facts["month"])),
            "count": facts["count"],
        }


def month_subject(first: date) -> int:
    """A month's subject id: 202611 for November 2026."""
    return first.year * 100 + first.month


def last_month(today: date) -> date:
    """The first day of the month before `today`'s (Vancouver's today)."""
    return month_bounds(today.replace(day=1) - timedelta(days=1))[0]


class MonthRule(Rule):
    """A rule about last month as a whole: its one subject is the month (`month_subject`),
    what is still to do counted in one query; a cause while the count is above zero."""

    subject = SubjectType.MONTH
    team = Role.FINANCE

    def counted(self, month: date) -> QuerySet:
        """What is still to do about `month`, one row each."""
        raise NotImplementedError

    def asked(self, today: date) -> bool:
        """Whether the rule asks about last month yet (from the 1st, unless said)."""
        return True

    def due_on(self, month: date) -> date:
        raise NotImplementedError

    def rows(self, *, today, subject_ids: Collection[int] | None):
        month = last_month(today)
        counted = self.counted(month)
        if subject_ids is not None and month_subject(month) not in subject_ids:
            counted = counted.none()
        # One row, the month's: a constant is no GROUP BY, so the count covers every row.
        return (
            counted.order_by().values(month=Value(month_subject(month))).annotate(count=Count("pk"))
        )

    def cause(self, row, *, today):
        month, count = last_month(today), row["count"]
        if not count or not self.asked(today):
            return None
        return Cause(
            subject_id=month_subject(month),
            subject_label=f"{month:%Y-%m}",
            due_on=self.due_on(month),
            facts={"month": month.isoformat(), "count": count},
        )


class MonthNotInvoiced(MonthRule):
    """From the 1st, last month still has sessions the month run would bill (completed or
    missed with a fee, billed to a payer or a client, not on a live line:
    `billing.selectors.month_sessions_not_invoiced`): run the month's invoices. Due on
    TASK_INVOICING_DAY, before the invoices are issued; running the month ends the cause
    (sessions set aside at a payer's limits keep it until staff decide and run it again)."""

    key = RuleKey.MONTH_NOT_INVOICED

    def counted(self, month):
        return month_sessions_not_invoiced(month)

    def due_on(self, month):
        return month_bounds(month)[1] + timedelta(days=settings.TASK_INVOICING_DAY)

    def describe(self, facts):
        return ngettext(
            "%(count)d session of %(month)s is not on an invoice: run the month's invoices.",
            "%(count)d sessions of %(month)s are not on an invoice: run the month's invoices.",
            facts["count"],
        ) % {"count": facts["count"], "month": month_name(date.fromisoformat(facts["month"]))}


class StatementsNotSent(MonthRule):
    """After the statement day (STATEMENT_DAY, when the month-end job generates and emails
    last month's statements), some of them are still drafts, or their email was never
    queued or failed: send them. A statement whose email is queued counts as on its way (a
    failure shows as a failed message, and here again). Due the statement day itself."""

    key = RuleKey.STATEMENTS_NOT_SENT

    def asked(self, today):
        return today.day > settings.STATEMENT_DAY

    def counted(self, month):
        return Statement.objects.filter(
            Q(status=StatementStatus.DRAFT)
            | Q(send_status__in=(SendStatus.NOT_SENT, SendStatus.FAILED)),
            period_start=month,
        )

    def due_on(self, month):
        return month_bounds(month)[1] + timedelta(days=settings.STATEMENT_DAY)

    def describe(self, facts):
        return ngettext(
            "%(count)d statement of %(month)s is not sent: send it to the therapist.",
            "%(count)d statements of %(month)s are not sent: send them to the therapists.",
            facts["count"],
        ) % {"count": facts["count"], "month": month_name(date.fromisoformat(facts["month"]))}
