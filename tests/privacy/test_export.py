"""A client's request for access (PIPEDA): one ZIP of everything held about them — and nothing
about anyone else — its index in their language, in a number of queries that does not grow with
their sessions, invoices or messages."""

import csv
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.fields import Language
from backoffice.privacy.services import client_export_zip
from tests.factories import UserFactory
from tests.privacy.conftest import client_with_records, message_to, reminder_of, session_billed

pytestmark = pytest.mark.django_db


def _open(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def _text(archive: zipfile.ZipFile) -> str:
    """Every file's text, the PDFs' included."""
    texts = []
    for name in archive.namelist():
        data = archive.read(name)
        if name.endswith(".pdf"):
            texts += [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
        else:
            texts.append(data.decode("utf-8-sig"))
    return "\n".join(texts)


def _seen(client, username: str) -> AccessRecord:
    user = UserFactory(username=username, first_name=username.title(), is_staff=True)
    return AccessRecord.objects.create(
        user=user,
        username=user.username,
        what=AccessKind.CLIENT_RECORD,
        client=client,
        path=f"/admin/caseload/client/{client.pk}/change/",
    )


@pytest.fixture
def held():
    asking = client_with_records("Annabel", "Okafor", email="annabel@example.test")
    other = client_with_records("Zebulon", "Quintero", email="zebulon@example.test")
    _seen(asking.client, "marguerite")
    _seen(other.client, "ottoline")
    return asking


def test_the_zip_holds_every_kind_of_record_of_the_client(held):
    client = held.client
    client.phone = "604-555-0199"
    client.save()
    archive = _open(client_export_zip(client=client))
    names = set(archive.namelist())
    assert {
        "README.txt",
        "client.json",
        "client.csv",
        "consents.csv",
        "authorizations.csv",
        "appointments.csv",
        "invoice_lines.csv",
        "payments.csv",
        "messages.csv",
        "reminders.csv",
        "history.csv",
        "privacy_requests.csv",
        "access_log.csv",
        f"invoices/{held.invoice_numbers[0]}.pdf",
        f"receipts/{held.receipt_number}.pdf",
    } <= names
    record = json.loads(archive.read("client.json"))
    assert record["legal first name"] == "Annabel"
    assert record["mobile phone"] == "604-555-0199"
    assert record["email"] == "annabel@example.test"
    assert _rows(archive, "consents.csv")[1][1:3] == ["Email", "given"]
    assert "CLAIM-Okafor" in _rows(archive, "authorizations.csv")[1]
    appointment = _rows(archive, "appointments.csv")[1]
    assert appointment[0] == "2026-03-03 09:00"  # Vancouver time (UTC-8 then)
    assert appointment[2] == client.primary_therapist.full_name
    assert appointment[4:6] == ["Completed", "In person"]
    assert _rows(archive, "invoice_lines.csv")[1][0] == held.invoice_numbers[0]
    assert _rows(archive, "payments.csv")[1][-1] == held.receipt_number
    assert "Dear Annabel, your invoice." in _rows(archive, "messages.csv")[1]
    assert _rows(archive, "reminders.csv")[1][1] == "SMS"
    history = archive.read("history.csv").decode("utf-8-sig")
    assert "mobile phone: 604-555-0142 → 604-555-0199" in history
    access = _rows(archive, "access_log.csv")
    assert [row[1:3] for row in access[1:]] == [["Marguerite", "Client record"]]
    readme = archive.read("README.txt").decode()
    assert "Everything the clinic holds about Annabel Okafor" in readme
    assert f"invoices/{held.invoice_numbers[0]}.pdf" in readme


def test_the_pdfs_open_and_name_the_client(held):
    archive = _open(client_export_zip(client=held.client))
    for name in (f"invoices/{held.invoice_numbers[0]}.pdf", f"receipts/{held.receipt_number}.pdf"):
        text = PdfReader(io.BytesIO(archive.read(name))).pages[0].extract_text()
        assert "Annabel" in text and "Okafor" in text


def test_nothing_about_another_client_is_in_the_zip(held):
    text = _text(_open(client_export_zip(client=held.client)))
    for theirs in ("Zebulon", "Quintero", "zebulon@example.test", "CLAIM-Quintero", "Ottoline"):
        assert theirs not in text


def test_messages_to_an_address_the_client_had_before_are_included(held):
    client = held.client
    message_to(client, "Sent to the old address.")
    client.email = "annabel.new@example.test"
    client.save()
    archive = _open(client_export_zip(client=client))
    assert "Sent to the old address." in archive.read("messages.csv").decode("utf-8-sig")


def test_a_cell_that_a_spreadsheet_would_run_is_escaped():
    held = client_with_records(
        "Annabel", "Okafor", email="annabel@example.test", notes='=HYPERLINK("http://x.test")'
    )
    archive = _open(client_export_zip(client=held.client))
    assert _rows(archive, "appointments.csv")[1][-1] == '\'=HYPERLINK("http://x.test")'


def test_the_files_are_in_the_clients_language():
    held = client_with_records("Annabel", "Okafor", email="annabel@example.test")
    held.client.preferred_language = Language.FRENCH
    held.client.save()
    archive = _open(client_export_zip(client=held.client))
    assert _rows(archive, "appointments.csv")[1][4:6] == ["Effectué", "En personne"]


def _export_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        client_export_zip(client=client)
    return len(queries)


def test_the_query_count_does_not_grow_with_sessions_invoices_or_messages(held):
    client = held.client
    before = _export_queries(client)
    for day in (10, 11, 12):
        appointment, _ = session_billed(client, day=day)
        reminder_of(appointment, client)
        message_to(client, f"Invoice of the {day}th")
    assert _export_queries(client) == before
