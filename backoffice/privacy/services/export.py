"""Everything the clinic holds about one client, as one ZIP (PIPEDA's right of access): an index
in the client's language, their file and its history as JSON and CSV, and the PDFs of their
invoices and receipts. One query per kind of record, whatever their number (the receipts' PDFs
load what each paid)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.billing.services import invoice_pdf, invoice_pdf_filename, receipt_pdf
from backoffice.caseload.models import Client
from backoffice.documents.formatting import person_name
from backoffice.documents.spreadsheets import rows_csv
from backoffice.privacy.selectors import (
    HistoryRows,
    access_records_of,
    appointments_of,
    authorizations_of,
    consents_of,
    history_of,
    invoice_lines_of,
    invoices_of,
    messages_to,
    payments_of,
    privacy_requests_of,
    receipts_of,
    reminders_of,
)

CLIENT_FIELDS = [
    "id",
    "kind",
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "preferred_language",
    "primary_therapist",
    "is_active",
    "reminder_channel",
    "email_consent",
    "sms_consent",
    "email_undeliverable_at",
    "phone_undeliverable_at",
    "created_at",
]
CONTACT_FIELDS = ("email", "phone")


@dataclass
class _File:
    name: str
    content: bytes
    about: str


def _when(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _cell(value) -> str | int:
    if isinstance(value, datetime):
        return _when(value)
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return str(value)
    return "" if value is None else value


def _csv(headers: list[str], rows: Iterable[list]) -> bytes:
    return "".join(rows_csv(headers=headers, rows=rows)).encode()


def _user(first: str | None, last: str | None, username: str | None) -> str:
    return person_name(first, last).strip() or username or ""


def _user_name(user) -> str:
    return _user(user.first_name, user.last_name, user.username) if user else ""


def _client_values(client: Client) -> dict[str, str | int]:
    values = {}
    for name in CLIENT_FIELDS:
        field = client._meta.get_field(name)
        if field.choices:
            value = getattr(client, f"get_{name}_display")()
        elif name == "primary_therapist":
            value = client.primary_therapist.full_name
        else:
            value = _cell(getattr(client, name))
        values[str(field.verbose_name)] = str(value) if not isinstance(value, int) else value
    values[_("sign-in account")] = _("yes") if client.user_id else _("no")
    return values


def _client_files(client: Client) -> list[_File]:
    values = _client_values(client)
    return [
        _File(
            "client.json",
            json.dumps(values, ensure_ascii=False, indent=2).encode(),
            _("Your file: name, date of birth, contacts, language, therapist, reminders."),
        ),
        _File(
            "client.csv",
            _csv([_("field"), _("value")], ([label, value] for label, value in values.items())),
            _("The same, as a spreadsheet."),
        ),
    ]


def _consents(client: Client) -> _File:
    rows = (
        [
            _when(consent.recorded_at),
            consent.get_channel_display(),
            _("given") if consent.given else _("withdrawn"),
            consent.get_method_display(),
            _user_name(consent.recorded_by),
            consent.note,
        ]
        for consent in consents_of(client)
    )
    headers = [_("when"), _("channel"), _("consent"), _("how"), _("recorded by"), _("note")]
    return _File(
        "consents.csv",
        _csv(headers, rows),
        _("Each consent to reminders given or withdrawn: when, how, recorded by whom."),
    )


def _authorizations(client: Client) -> _File:
    rows = (
        [
            authorization.payer.name,
            authorization.reference_number,
            authorization.sessions_approved,
            _cell(authorization.valid_from),
            _cell(authorization.valid_until),
            _when(authorization.renewal_submitted_at),
            authorization.notes,
        ]
        for authorization in authorizations_of(client)
    )
    headers = [
        _("payer"),
        _("claim or referral number"),
        _("sessions approved"),
        _("valid from"),
        _("valid until"),
        _("renewal submitted"),
        _("notes"),
    ]
    return _File(
        "authorizations.csv",
        _csv(headers, rows),
        _("Sessions approved by a third party (insurer, program) that pays for them."),
    )


def _appointments(client: Client, language: str) -> _File:
    rows = (
        [
            _when(appointment.starts_at),
            _when(appointment.ends_at),
            appointment.therapist.full_name,
            appointment.service_type.name_in(language),
            appointment.get_status_display(),
            appointment.get_attendance_display(),
            f"{appointment.room.site.name} · {appointment.room.name}" if appointment.room else "",
            str(appointment.fee_amount),
            _cell(appointment.missed_session_fee_amount),
            appointment.authorization.reference_number if appointment.authorization else "",
            _when(appointment.confirmed_at),
            _when(appointment.cancelled_at),
            _when(appointment.paid_at),
            appointment.notes,
        ]
        for appointment in appointments_of(client)
    )
    headers = [
        _("start"),
        _("end"),
        _("therapist"),
        _("service"),
        _("status"),
        _("attendance"),
        _("room"),
        _("fee"),
        _("late-cancel / no-show fee"),
        _("claim or referral number"),
        _("confirmed"),
        _("cancelled"),
        _("paid"),
        _("administrative notes"),
    ]
    return _File(
        "appointments.csv",
        _csv(headers, rows),
        _("Every session booked for you: when, with whom, how it went."),
    )


def _invoice_lines(client: Client, language: str) -> _File:
    rows = (
        [
            line.invoice.number or _("draft"),
            line.invoice.get_status_display(),
            line.invoice.payer.name if line.invoice.payer_id else _("you"),
            _cell(line.service_date),
            line.service_type.name_in(language),
            line.description,
            line.therapist.full_name,
            line.authorization.reference_number if line.authorization else "",
            str(line.unit_amount),
            str(line.tax_amount),
            str(line.total_amount),
            _cell(line.is_void),
        ]
        for line in invoice_lines_of(client)
    )
    headers = [
        _("invoice"),
        _("invoice status"),
        _("billed to"),
        _("service date"),
        _("service"),
        _("description"),
        _("therapist"),
        _("claim or referral number"),
        _("amount"),
        _("tax"),
        _("total"),
        _("void"),
    ]
    return _File(
        "invoice_lines.csv",
        _csv(headers, rows),
        _(
            "Each of your sessions billed, to you or to a payer; a payer's invoice lists other "
            "clients too, so only your lines are given."
        ),
    )


def _payments(client: Client) -> _File:
    rows = (
        [
            _cell(payment.received_on),
            str(payment.amount),
            payment.get_method_display(),
            payment.reference,
            str(payment.allocated_amount),
            getattr(getattr(payment, "receipt", None), "number", ""),
        ]
        for payment in payments_of(client)
    )
    headers = [
        _("received on"),
        _("amount"),
        _("method"),
        _("reference"),
        _("allocated"),
        _("receipt"),
    ]
    return _File("payments.csv", _csv(headers, rows), _("Your payments to the clinic."))


def _messages(client: Client, history: list[HistoryRows]) -> _File:
    addresses = {getattr(client, name) for name in CONTACT_FIELDS}
    addresses |= {row[name] for row in history[0].rows for name in CONTACT_FIELDS}
    addresses.discard("")
    rows = (
        [
            _when(message.created_at),
            message.get_channel_display(),
            message.recipient,
            message.get_purpose_display(),
            message.subject,
            message.body_text,
            message.get_status_display(),
            _when(message.sent_at),
            message.get_delivery_status_display(),
        ]
        for message in messages_to(client, addresses=addresses)
    )
    headers = [
        _("queued"),
        _("channel"),
        _("recipient"),
        _("purpose"),
        _("subject"),
        _("text"),
        _("status"),
        _("sent"),
        _("delivery"),
    ]
    return _File(
        "messages.csv",
        _csv(headers, rows),
        _("Emails and SMS sent to your email address or mobile phone, now or before."),
    )


def _reminders(client: Client) -> _File:
    rows = (
        [
            _when(reminder.appointment.starts_at),
            reminder.get_channel_display(),
            reminder.hours_before,
            _when(reminder.send_at),
            reminder.get_status_display(),
            reminder.skip_reason,
            _when(reminder.link_used_at),
        ]
        for reminder in reminders_of(client)
    )
    headers = [
        _("session"),
        _("channel"),
        _("hours before"),
        _("to send at"),
        _("status"),
        _("why not sent"),
        _("link used"),
    ]
    return _File(
        "reminders.csv", _csv(headers, rows), _("Reminders of your sessions, sent or not.")
    )


def _changes(model, previous: dict | None, row: dict) -> str:
    if row["history_type"] == "+":
        return _("created")
    if row["history_type"] == "-":
        return _("deleted")
    labels = {field.attname: str(field.verbose_name) for field in model._meta.concrete_fields}
    return "; ".join(
        f"{labels[name]}: {_cell(previous[name])} → {_cell(row[name])}"
        for name in labels
        if previous is not None and name in row and previous[name] != row[name]
    )


def _history_rows(history: list[HistoryRows]):
    for family in history:
        kind = str(family.model._meta.verbose_name)
        previous: dict | None = None
        for row in family.rows:
            if previous is not None and previous["id"] != row["id"]:
                previous = None
            yield [
                _when(row["history_date"]),
                _user(
                    row["history_user__first_name"],
                    row["history_user__last_name"],
                    row["history_user__username"],
                ),
                f"{kind} #{row['id']}",
                _changes(family.model, previous, row),
                row["history_change_reason"] or "",
            ]
            previous = row


def _history(history: list[HistoryRows]) -> _File:
    headers = [_("when"), _("by"), _("record"), _("what changed"), _("reason")]
    return _File(
        "history.csv",
        _csv(headers, _history_rows(history)),
        _("Every change to your file, authorizations and sessions: when, by whom, what."),
    )


def _access_records(client: Client) -> _File:
    rows = (
        [_when(record.at), _user_name(record.user), record.get_what_display(), record.path]
        for record in access_records_of(client)
    )
    headers = [_("when"), _("by"), _("what"), _("page")]
    return _File(
        "access_log.csv",
        _csv(headers, rows),
        _("Who at the clinic opened your information, when, and on which page."),
    )


def _privacy_requests(client: Client) -> _File:
    rows = (
        [
            _cell(request.received_on),
            request.get_kind_display(),
            request.details,
            _cell(request.due_on),
            _when(request.completed_at),
            request.outcome,
        ]
        for request in privacy_requests_of(client)
    )
    headers = [
        _("received on"),
        _("request"),
        _("what you asked"),
        _("answer due on"),
        _("answered"),
        _("what was done"),
    ]
    return _File(
        "privacy_requests.csv", _csv(headers, rows), _("Your privacy requests and our answers.")
    )


def _documents(client: Client) -> list[_File]:
    files = [
        _File(
            f"invoices/{invoice_pdf_filename(invoice)}",
            invoice_pdf(invoice=invoice),
            _("Invoice %(number)s (PDF).") % {"number": invoice.number},
        )
        for invoice in invoices_of(client)
    ]
    files += [
        _File(
            f"receipts/{receipt.number}.pdf",
            receipt_pdf(receipt=receipt),
            _("Receipt %(number)s (PDF).") % {"number": receipt.number},
        )
        for receipt in receipts_of(client)
    ]
    return files


def _readme(client: Client, files: list[_File]) -> bytes:
    lines = [
        _("Everything the clinic holds about %(name)s") % {"name": client.full_name},
        _("Prepared on %(when)s.") % {"when": _when(timezone.now())},
        "",
        _("Files:"),
        *(f"- {file.name}: {file.about}" for file in files),
        "",
        _(
            "Not included: therapists' pay statements (they are the therapist's document; "
            "each session they list is in appointments.csv) and the payers' invoices, which "
            "list other clients (your lines are in invoice_lines.csv)."
        ),
        _("Spreadsheet cells starting with = + - or @ begin with an apostrophe."),
        "",
    ]
    return "\n".join(lines).encode()


def client_export_zip(*, client: Client) -> bytes:
    """The ZIP of everything held about the client, its index in the client's language."""
    with translation.override(client.preferred_language):
        history = history_of(client)
        language = client.preferred_language
        files = [
            *_client_files(client),
            _consents(client),
            _authorizations(client),
            _appointments(client, language),
            _invoice_lines(client, language),
            _payments(client),
            _messages(client, history),
            _reminders(client),
            _history(history),
            _access_records(client),
            _privacy_requests(client),
            *_documents(client),
        ]
        readme = _readme(client, files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        for file in files:
            archive.writestr(file.name, file.content)
    return buffer.getvalue()


def client_export_filename(client: Client) -> str:
    return f"client-{client.pk}-{timezone.localdate():%Y-%m-%d}.zip"
