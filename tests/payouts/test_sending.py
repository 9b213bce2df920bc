"""Statement emails: template text, PDF attached, once, failures visible, the statement day."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.documents.models import SendStatus
from backoffice.messaging.models import MessageTemplate, OutboxMessage, Purpose
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.services import statements_generate
from backoffice.payouts.services.sending import (
    statement_email,
    statement_send,
    statements_month_end,
    statements_send_later,
)
from tests.billing.documents import pdf_text
from tests.factories import TherapistFactory, TherapistRateFactory
from tests.payouts.test_statements import OCT, session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def october_statement(**therapist_fields) -> Statement:
    therapist = TherapistFactory(first_name="Jordan", last_name="Lee", **therapist_fields)
    TherapistRateFactory(therapist=therapist, session_price_amount=Decimal("120.00"))
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
    session(therapist, date(2026, 10, 7))
    statements_generate(month=OCT)
    return Statement.objects.get(therapist=therapist)


def test_the_statement_is_emailed_once_with_its_pdf_and_becomes_sent(
    django_capture_on_commit_callbacks,
):
    statement = october_statement(email="jordan@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        message = statement_send(statement=statement)
    with pytest.raises(ValidationError, match="already emailed"):
        statement_send(statement=statement)

    statement.refresh_from_db()
    assert (statement.status, statement.send_status) == (StatementStatus.SENT, SendStatus.SENT)
    assert statement.sent_on is not None
    assert OutboxMessage.objects.get() == message
    assert message.purpose == Purpose.STATEMENT
    [email] = mail.outbox
    assert email.to == ["jordan@example.test"]
    assert email.subject == "Your statement for October 2026"
    assert "$84.00 payable to you" in email.body
    assert "Sessions held until paid: 1" in email.body
    [(name, content, mimetype)] = email.attachments
    assert name.endswith(".pdf") and mimetype == "application/pdf"
    assert "$84.00" in pdf_text(content)


def test_staff_wording_is_used_in_the_therapists_language():
    MessageTemplate.objects.create(
        purpose=Purpose.STATEMENT,
        language="fr-ca",
        subject="Relevé {period}",
        body_text="Bonjour {therapist_name}, net : {net_amount}; retenues : {held_count}.",
    )
    statement = october_statement(preferred_language="fr-ca")

    subject, body = statement_email(statement)

    assert subject == "Relevé octobre 2026"
    assert body == "Bonjour Jordan Lee, net : 84,00 $; retenues : 1."


def test_a_statement_template_with_an_unknown_placeholder_is_refused_on_save(admin_client):
    response = admin_client.post(
        "/admin/messaging/messagetemplate/add/",
        {
            "purpose": Purpose.STATEMENT,
            "language": "en",
            "subject": "Statement {period}",
            "body_text": "Client {client_name}: {net_amount}",
        },
    )

    assert response.status_code == 200
    assert "Unknown placeholder {client_name}." in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_a_failed_email_shows_on_the_statement_and_sending_again_retries(
    django_capture_on_commit_callbacks, postmark_server
):
    statement = october_statement()
    postmark_server.answer = "inactive"  # the provider refuses the address
    with django_capture_on_commit_callbacks(execute=True):
        statement_send(statement=statement)
    postmark_server.answer = "ok"
    statement.refresh_from_db()
    assert statement.send_status == SendStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        statement_send(statement=statement)

    statement.refresh_from_db()
    assert statement.send_status == SendStatus.SENT
    assert OutboxMessage.objects.count() == 1
    assert len(postmark_server.accepted) == 1


def test_a_therapist_without_email_is_refused_and_nothing_is_queued():
    statement = october_statement(email="")
    with pytest.raises(ValidationError, match="no email"):
        statement_send(statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT
    assert not OutboxMessage.objects.exists()


def test_the_statement_day_runs_last_month_and_sends_each_statement_once(
    django_capture_on_commit_callbacks,
):
    statement = october_statement()
    other = TherapistFactory()
    TherapistRateFactory(therapist=other)
    session(other, date(2026, 10, 20), paid=date(2026, 10, 21))

    with django_capture_on_commit_callbacks(execute=True):
        first = statements_month_end(today=date(2026, 11, 5))
    with django_capture_on_commit_callbacks(execute=True):
        second = statements_month_end(today=date(2026, 11, 5))

    assert (first.run.month, first.run.created, first.run.regenerated, first.sent) == (OCT, 1, 1, 2)
    assert (second.run.kept, second.sent) == (2, 0)
    assert len(mail.outbox) == 2
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SENT


def test_sending_costs_the_same_queries_for_a_short_or_a_long_statement(
    django_capture_on_commit_callbacks,
):
    counts = []
    for sessions in (2, 20):
        therapist = TherapistFactory()
        TherapistRateFactory(therapist=therapist)
        for day in range(1, sessions + 1):
            session(therapist, date(2026, 10, day), paid=date(2026, 10, 28) if day % 2 else None)
        statements_generate(month=OCT)
        statement = Statement.objects.get(therapist=therapist)
        with CaptureQueriesContext(connection) as queries:
            statement_send(statement=statement)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_staff_sending_many_leaves_the_pdfs_and_emails_to_the_worker(
    django_capture_on_commit_callbacks,
):
    october_statement()
    no_email = TherapistFactory(email="")
    TherapistRateFactory(therapist=no_email)
    session(no_email, date(2026, 10, 8), paid=date(2026, 10, 9))
    statements_generate(month=OCT)
    statements = Statement.objects.select_related("therapist")

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        result = statements_send_later(statements=statements)
    assert (result.sent, len(result.refused)) == (1, 1)
    assert len(queries) == 1, "the page only reads the statements"
    assert not OutboxMessage.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # the commit: the worker renders the PDF and queues the email
    assert len(mail.outbox) == 1
    assert Statement.objects.filter(status=StatementStatus.SENT).count() == 1
