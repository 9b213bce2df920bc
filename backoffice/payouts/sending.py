"""Email statements to therapists: PDF stored, message in the outbox, status followed (R3)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.billing.sending import (
    SendBatch,
    document_email_queue,
    send_each,
    send_later,
    sending_refusal,
    store_document,
)
from backoffice.messaging.models import Channel, OutboxMessage, Purpose
from backoffice.messaging.services import message_queue
from backoffice.messaging.templates_service import message_template_render
from backoffice.money import money
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.pdf import (
    period_label,
    statement_language,
    statement_pdf,
    statement_pdf_filename,
    statements_for_documents,
)
from backoffice.payouts.services import StatementRun, month_bounds, statements_generate

logger = logging.getLogger(__name__)
PDF = "application/pdf"


def statement_email(statement: Statement) -> tuple[str, str]:
    """The subject and text the therapist receives (staff's template, else the built-in one)."""
    language = statement_language(statement)
    therapist = statement.therapist
    with translation.override(language):
        context = {
            "therapist_name": f"{therapist.first_name} {therapist.last_name}",
            "period": period_label(statement),
            "net_amount": money(statement.net_amount),
            "gross_amount": money(statement.gross_amount),
            "service_fees": money(statement.service_fee_amount),
            "held_count": statement.held_count,
            "clinic_name": settings.LETTERHEAD["NAME"],
        }
    return message_template_render(purpose=Purpose.STATEMENT, language=language, context=context)


def _pdf_path(statement: Statement) -> str:
    return f"statements/{statement.period_start:%Y-%m}/{statement_pdf_filename(statement)}"


def _unsendable(statement: Statement) -> str:
    """Why the statement cannot be emailed ("" when it can)."""
    therapist = statement.therapist
    if not therapist.email:
        return _("%(therapist)s has no email address.") % {"therapist": therapist}
    return sending_refusal(statement)


@transaction.atomic
def statement_send(*, statement: Statement, by=None) -> OutboxMessage:
    """Email the statement with its PDF attached, once; again only after a failure
    (`billing.sending.document_email_queue`).

    A draft becomes sent (it no longer changes); its `send_status` follows the outbox.
    """
    statement = statements_for_documents(
        Statement.objects.select_for_update(of=("self",)).filter(pk=statement.pk)
    ).get()
    therapist = statement.therapist
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
        path = store_document(_pdf_path(statement), statement_pdf(statement=statement))
        subject, body = statement_email(statement)
        return message_queue(
            channel=Channel.EMAIL,
            recipient=therapist.email,
            subject=subject,
            body_text=body,
            purpose=Purpose.STATEMENT,
            attachments=[
                {"name": statement_pdf_filename(statement), "path": path, "mimetype": PDF}
            ],
            dedupe_key=dedupe_key,
        )

    return document_email_queue(document=statement, dedupe_key=dedupe_key, compose=compose, by=by)


def statements_send(*, statements, by=None) -> SendBatch:
    return send_each(
        documents=statements,
        send=lambda statement, by: statement_send(statement=statement, by=by),
        by=by,
    )


def statements_send_later(*, statements, by=None) -> SendBatch:
    """Send selected statements through the worker (`billing.sending.send_later`)."""
    return send_later(documents=statements, unsendable=_unsendable, enqueue=_enqueue_sending, by=by)


def _enqueue_sending(statement_ids: list[int], by_id: int | None) -> None:
    from jobs.tasks import statements_send_task

    statements_send_task(statement_ids, by_id)


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
