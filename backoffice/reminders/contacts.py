"""Undeliverable contacts: an email address that hard-bounced or a mobile number the SMS
provider says cannot receive stops that channel for the client until staff correct it
(`caseload.services.client_contact_corrected`; docs/rules.md, Undeliverable contacts)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.caseload.models import Client
from backoffice.caseload.services import UNDELIVERABLE_FIELDS
from backoffice.messaging.models import Channel, OutboxMessage
from backoffice.reminders.selectors import sms_number


def clients_at(*, channel: str, address: str) -> list[Client]:
    """The clients whose email or mobile number (E.164) is `address` (a family may share
    one)."""
    if channel == Channel.EMAIL:
        return list(Client.objects.filter(email__iexact=address))
    # Phones are typed as staff like; the last digits narrow the rows, E.164 decides.
    near = Client.objects.filter(phone__endswith=address[-4:])
    return [client for client in near if sms_number(client.phone) == address]


@transaction.atomic
def client_contact_undeliverable_mark(*, message: OutboxMessage) -> list[Client]:
    """Mark the email (a hard bounce) or mobile phone (a dead number) that `message` went to
    undeliverable for every client who has it; a contact already marked keeps its first time.
    Returns the clients newly marked."""
    field = UNDELIVERABLE_FIELDS["email" if message.channel == Channel.EMAIL else "phone"]
    marked = []
    for client in clients_at(channel=message.channel, address=message.recipient):
        if getattr(client, field) is None:
            setattr(client, field, timezone.now())
            client._change_reason = (
                _("Email bounced") if message.channel == Channel.EMAIL else _("SMS undeliverable")
            )
            client.save(update_fields=[field])
            marked.append(client)
    return marked
