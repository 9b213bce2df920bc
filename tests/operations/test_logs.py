"""Log lines are JSON and never name a client: real work (a refused booking, a month's invoices
generated and emailed, a task failing with a client's email in its error) logged through the
production formatter (backoffice/logs.py)."""

import io
import json
import logging
import os
import urllib.error
import urllib.request
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
from tests.production.servers import free_port, start_gunicorn, stop

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


def test_gunicorn_logs_json_lines_without_query_strings(tmp_path):
    """gunicorn as deployed, LOG_FORMAT=json: its own lines, the access log and Django's are
    all JSON; a search's query string stays out."""
    (tmp_path / "static").mkdir()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_ENV", "DEBUG", "DATABASE_URL", "REDIS_URL")
    }
    env |= {"LOG_FORMAT": "json", "CASELOAD_VAR_DIR": str(tmp_path), "DEBUG": "0"}
    gunicorn = start_gunicorn(port, env=env, log=log)
    try:
        for path in ("/healthz", "/no-such-page/?q=H%C3%A9l%C3%A8ne+C%C3%B4t%C3%A9"):
            urlopen_status(f"http://127.0.0.1:{port}{path}")
    finally:
        stop(gunicorn)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers, lines
    assert '"GET /no-such-page/" 404' in "\n".join(line["message"] for line in lines)
    assert "H%C3%A9l" not in log.read_text()


def urlopen_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
