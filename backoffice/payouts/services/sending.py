"""Statements emailed to their therapists, and the statement day's job (generate, then send).

This module knows the statement's email: its recipient, placeholders, PDF and stored path.
The outbox rules for any document are in `messaging.services.documents`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.documents.formatting import money, month
from backoffice.messaging.models import OutboxMessage, Purpose
from backoffice.messaging.services.documents import (
    DocumentEmail,
    SendBatch,
    document_email_compose,
    document_email_queue,
    send_each,
    send_later,
    sending_refusal,
)
from backoffice.messaging.services.templates import message_template_render
from backoffice.notifications.models import NotificationKind
from backoffice.notifications.services import notify
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.selectors import statements_for_documents
from backoffice.payouts.services.month_run import StatementRun, statements_generate
from backoffice.payouts.services.pdf import (
    statement_language,
    statement_pdf,
    statement_pdf_filename,
)
from backoffice.zone_data import month_bounds

logger = logging.getLogger(__name__)

# The worker's job that sends the statements staff selected (messaging.worker).
STATEMENTS_SEND = "statements_send"


def _email_context(statement: Statement) -> dict:
    therapist = statement.therapist
    with translation.override(statement_language(statement)):
        return {
            "therapist_name": therapist.full_name,
            "period": month(statement.period_start),
            "net_amount": money(statement.net_amount),
            "gross_amount": money(statement.gross_amount),
            "service_fees": money(statement.service_fee_amount),
            "held_count": statement.held_count,
            "clinic_name": settings.LETTERHEAD["NAME"],
        }


def statement_email(statement: Statement) -> tuple[str, str]:
    """The subject and text the therapist receives (staff's template, else the built-in one)."""
    return message_template_render(
        purpose=Purpose.STATEMENT,
        language=statement_language(statement),
        context=_email_context(statement),
    )


def _unsendable(statement: Statement) -> str:
    """Why the statement cannot be emailed ("" when it can)."""
    therapist = statement.therapist
    if not therapist.email:
        return _("%(therapist)s has no email address.") % {"therapist": therapist}
    return sending_refusal(statement)


@transaction.atomic
def statement_send(*, statement: Statement, by=None) -> OutboxMessage:
    """Email the statement with its PDF attached, once; again only after a failure
    (`messaging.services.documents.document_email_queue`).

    A draft becomes sent (it no longer changes); its `send_status` follows the outbox.
    """
    statement = statements_for_documents(
        Statement.objects.select_for_update(of=("self",)).filter(pk=statement.pk)
    ).get()
    refusal = _unsendable(statement)
    if refusal:
        raise ValidationError(refusal)
    dedupe_key = f"statement:{statement.pk}"

    def compose() -> OutboxMessage:
        if statement.status == StatementStatus.DRAFT:
            statement.status = StatementStatus.SENT
            statement.sent_on = timezone.localdate()
            statement._history_user = by
            statement.save(update_fields=["status", "sent_on"])
        notify(
            user_id=statement.therapist.user_id,
            kind=NotificationKind.STATEMENT_SENT,
            facts={"month": statement.period_start.isoformat()},
            link=reverse("portal:statements"),
            key=f"statement-sent:{statement.pk}",
        )
        return document_email_compose(
            DocumentEmail(
                purpose=Purpose.STATEMENT,
                language=statement_language(statement),
                context=_email_context(statement),
                recipient=statement.therapist.email,
                pdf=lambda: statement_pdf(statement=statement),
                kind="statements",
                filename=statement_pdf_filename(statement),
                dedupe_key=dedupe_key,
            )
        )

    return document_email_queue(document=statement, dedupe_key=dedupe_key, compose=compose, by=by)


def statements_send(*, statements, by=None) -> SendBatch:
    """Each statement's email queued (`statement_send`); the refused ones are reported."""
    return send_each(statements, lambda statement: statement_send(statement=statement, by=by))


def statements_send_later(*, statements, by=None) -> SendBatch:
    """Send selected statements through the worker (`messaging.services.documents.send_later`)."""
    return send_later(documents=statements, unsendable=_unsendable, job=STATEMENTS_SEND, by=by)


@dataclass
class MonthEnd:
    run: StatementRun
    sent: int
    refused: list[str]


def statements_month_end(*, today: date | None = None, by=None) -> MonthEnd:
    """The statement day's job: last month's drafts generated (or refreshed) and emailed.

    Running it twice sends nothing twice: sent statements are neither regenerated nor sent.
    """
    today = today or timezone.localdate()
    first, _last = month_bounds(today)
    previous_month = month_bounds(first - timedelta(days=1))[0]
    run = statements_generate(month=previous_month, by=by)
    drafts = Statement.objects.filter(
        period_start=previous_month, status=StatementStatus.DRAFT
    ).select_related("therapist")
    sent = statements_send(statements=drafts, by=by)
    for problem in [*run.problems, *sent.refused]:
        logger.warning("statement run %s: %s", f"{previous_month:%Y-%m}", problem)
    return MonthEnd(run=run, sent=sent.sent, refused=sent.refused)
