"""The role-by-URL matrix's world: the eight roles, and one object for every URL that names one.

Therapist A has client A1 (who has their own sign-in account), therapist B has client B1. Every
object a portal or client page names is A's or A1's, so B, B1's neighbours and staff show the
isolation; every admin object page names one of these objects too.
"""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.core import signing
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from backoffice.accounts.models import Role
from backoffice.accounts.services import roles_sync, user_create
from backoffice.billing.models import InvoiceStatus, SetAsideDecision
from backoffice.caseload.models import ClientKind
from backoffice.messaging.models import Channel, InboundSms, MessageTemplate
from backoffice.notifications.models import NotificationKind
from backoffice.notifications.services import notify
from backoffice.payouts.models import StatementStatus
from backoffice.reminders.models import Reminder, ReminderOffset
from backoffice.reminders.services import LINK_SALT
from tests.factories import (
    AppointmentFactory,
    AppointmentSeriesFactory,
    AuthorizationFactory,
    BadFitEntryFactory,
    ClientFactory,
    ClientStatusRequestFactory,
    DocumentCounterFactory,
    IssuedInvoiceFactory,
    OutboxMessageFactory,
    PayerRateFactory,
    PaymentFactory,
    ReceiptFactory,
    RoomReservationFactory,
    SessionLineFactory,
    StatementLineFactory,
    TaskFactory,
    TherapistFactory,
    UserFactory,
    security_records,
)

# The matrix's columns, in the table's order.
ROLES = (
    "anonymous",
    "therapist_a",
    "therapist_b",
    "client",
    "read_only",
    "finance",
    "admin",
    "no_role",
)
CLIENT_BACKEND = "backoffice.accounts.backends.SignInLinkBackend"


def world_build() -> dict:
    """The users of the eight roles (None for anonymous) under "users", and the objects."""
    roles_sync()
    therapist_a = TherapistFactory(user__username="therapist-a")
    therapist_b = TherapistFactory(user__username="therapist-b")
    client_a1 = ClientFactory(primary_therapist=therapist_a, kind=ClientKind.INDIRECT)
    client_a1.user = user_create(username="client-a1", role=Role.CLIENT)
    client_a1.save(update_fields=["user"])
    ClientFactory(primary_therapist=therapist_b)  # client B1
    users = {
        "anonymous": None,
        "therapist_a": therapist_a.user,
        "therapist_b": therapist_b.user,
        "client": client_a1.user,
        "read_only": user_create(username="read-only", role=Role.READ_ONLY),
        "finance": user_create(username="finance", role=Role.FINANCE),
        "admin": user_create(username="administrator", role=Role.ADMIN),
        "no_role": UserFactory(username="staff-no-role", is_staff=True),
    }

    upcoming = AppointmentFactory(
        therapist=therapist_a,
        billing_client=client_a1,
        starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, minutes=50),
    )
    completed = AppointmentFactory(
        therapist=therapist_a, billing_client=client_a1, status="completed"
    )
    authorization = AuthorizationFactory(client=client_a1)
    SetAsideDecision.objects.create(
        appointment=completed,
        authorization=authorization,
        reason="over-approved",
        outcome="write-off",
        decided_at=timezone.now(),
    )
    invoice = IssuedInvoiceFactory(payer=None, client=client_a1, status=InvoiceStatus.ISSUED)
    SessionLineFactory(invoice=invoice, appointment=completed)
    receipt = ReceiptFactory(payment__client=client_a1)
    statement = StatementLineFactory(
        statement__therapist=therapist_a, statement__status=StatementStatus.SENT
    ).statement
    authorization.renewal_document.save("renewal.pdf", ContentFile(b"%PDF-1.4 synthetic"))
    reminder = Reminder.objects.create(
        appointment=upcoming,
        client=client_a1,
        channel=Channel.EMAIL,
        hours_before=48,
        send_at=upcoming.starts_at - timedelta(hours=48),
    )
    notification = notify(
        user_id=therapist_a.user.pk,
        kind=NotificationKind.TASK_ASSIGNED,
        facts={"count": 1, "by": "Camille Tremblay"},
        link="/portal/",
    )
    PaymentFactory()
    PayerRateFactory(service_type=upcoming.service_type)
    RoomReservationFactory(therapist=therapist_a, room=upcoming.room)
    InboundSms.objects.create(
        provider_message_id="0A00000001",
        sender="+16045550142",
        text="C",
        received_at=timezone.now(),
    )
    OutboxMessageFactory()
    BadFitEntryFactory(client=client_a1, therapist=therapist_a)
    ClientStatusRequestFactory(client=client_a1)
    TaskFactory()
    AppointmentSeriesFactory(therapist=therapist_a, billing_client=client_a1)
    DocumentCounterFactory()
    MessageTemplate.objects.create(
        purpose="invoice", language="en", subject="Invoice {invoice_number}", body_text="{total}"
    )
    ReminderOffset.objects.first().save()  # a history record (the migration's rows have none)
    security_records(client_a1, viewer=users["admin"])
    return {
        "users": users,
        "therapist_a": therapist_a,
        "client_a1": client_a1,
        "upcoming": upcoming,
        "authorization": authorization,
        "invoice": invoice,
        "receipt": receipt,
        "statement": statement,
        "notification": notification,
        "group": Group.objects.get(name=Role.ADMIN),
        "reminder_token": signing.dumps(reminder.pk, salt=LINK_SALT),
        "password_uid": urlsafe_base64_encode(force_bytes(therapist_a.user.pk)),
    }
