"""Two clients with a record of every kind: the one asking for their file, and another whose
records must stay out of it."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from backoffice.caseload.models import Client, ConsentMethod
from backoffice.caseload.services import client_consent_record
from backoffice.messaging.models import Channel, Purpose
from backoffice.reminders.models import Reminder
from backoffice.scheduling.models import Appointment, AppointmentStatus
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    IssuedInvoiceFactory,
    OutboxMessageFactory,
    PaymentFactory,
    ReceiptFactory,
    SessionLineFactory,
)


@dataclass
class Held:
    client: Client
    appointments: list[Appointment]
    invoice_numbers: list[str]
    receipt_number: str


def session_billed(client: Client, *, day: int, notes: str = "") -> tuple[Appointment, str]:
    """A completed session of the client, on an issued invoice billed to them alone."""
    appointment = AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        status=AppointmentStatus.COMPLETED,
        starts_at=datetime(2026, 3, day, 17, tzinfo=UTC),
        ends_at=datetime(2026, 3, day, 17, 50, tzinfo=UTC),
        notes=notes,
    )
    invoice = IssuedInvoiceFactory(payer=None, client=client)
    SessionLineFactory(invoice=invoice, appointment=appointment)
    return appointment, invoice.number


def message_to(client: Client, text: str):
    return OutboxMessageFactory(
        recipient=client.email, subject="Your invoice", body_text=text, purpose=Purpose.INVOICE
    )


def reminder_of(appointment: Appointment, client: Client) -> Reminder:
    return Reminder.objects.create(
        appointment=appointment,
        client=client,
        channel=Channel.SMS,
        hours_before=24,
        send_at=appointment.starts_at - timedelta(hours=24),
    )


def client_with_records(first_name: str, last_name: str, *, email: str, notes: str = "") -> Held:
    client = ClientFactory(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone="604-555-0142",
        date_of_birth=date(1980, 6, 1),
    )
    client_consent_record(
        client=client, channel=Channel.EMAIL, given=True, method=ConsentMethod.IN_PERSON
    )
    AuthorizationFactory(client=client, reference_number=f"CLAIM-{last_name}")
    appointment, number = session_billed(client, day=3, notes=notes)
    reminder_of(appointment, client)
    message_to(client, f"Dear {first_name}, your invoice.")
    receipt = ReceiptFactory(payment=PaymentFactory(payer=None, client=client, amount=150))
    return Held(client, [appointment], [number], receipt.number)
