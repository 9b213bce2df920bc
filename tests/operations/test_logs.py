"""Log lines are JSON and never name a client: real work (a refused booking, a month's invoices
generated and emailed, a task failing with a client's email in its error) logged through the
production formatter (backoffice/logs.py)."""

import io
import json
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from backoffice.billing.models import Invoice
from backoffice.billing.services import invoices_generate
from backoffice.billing.services.invoice_lifecycle import invoices_issue_and_send_later
from backoffice.logs import JsonFormatter
from backoffice.scheduling.models import Attendance
from backoffice.scheduling.services import appointment_book
from tests.billing.conftest import MARCH, at, session_of
from tests.factories import ClientFactory, ServiceTypeFactory, TherapistFactory
from tests.operations.failing import client_lookup_task

pytestmark = pytest.mark.django_db

NAMES = ("Hélène", "Côté-Lévesque", "helene.cote@example.test", "Marc-André", "Tremblay")


@pytest.fixture
def log_lines():
    """What the production handler writes, from the root logger and Huey's (production's
    level, INFO)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(), logging.getLogger("huey")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: stream.getvalue().splitlines()
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def clients():
    therapist = TherapistFactory()
    return (
        ClientFactory(
            first_name="Hélène",
            last_name="Côté-Lévesque",
            email="helene.cote@example.test",
            primary_therapist=therapist,
        ),
        # No address: her invoice is refused, and the refusal is logged.
        ClientFactory(
            first_name="Marc-André", last_name="Tremblay", email="", primary_therapist=therapist
        ),
    )


def test_real_work_logs_json_lines_without_client_names(
    log_lines, clients, time_machine, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    time_machine.move_to(at(4, 9, month=5))
    helene, marc = clients
    booked = session_of(helene, day=16, status="scheduled", attendance=Attendance.ONLINE, room=None)
    with pytest.raises(ValidationError):
        appointment_book(
            therapist=helene.primary_therapist,
            billing_client=marc,
            service_type=ServiceTypeFactory(),
            starts_at=booked.starts_at + timedelta(minutes=10),
            attendance=Attendance.ONLINE,
        )
    session_of(helene, day=3)
    session_of(marc, day=4)
    with django_capture_on_commit_callbacks(execute=True):
        invoices_generate(month=MARCH)
        invoices_issue_and_send_later(invoices=Invoice.objects.all())
    [email] = mail.outbox
    assert email.to == ["helene.cote@example.test"]
    client_lookup_task("helene.cote@example.test")

    lines = [json.loads(line) for line in log_lines()]
    messages = [line["message"] for line in lines]
    assert any("invoices_send_task" in message for message in messages), "the worker's lines too"
    [failure] = [line for line in lines if "exception" in line]
    assert failure["exception"]["type"] == "builtins.LookupError"
    assert failure["exception"]["frames"][-1].endswith("tests/operations/failing.py:8")
    text = "\n".join(log_lines())
    assert not [name for name in NAMES if name.lower() in text.lower()], text
