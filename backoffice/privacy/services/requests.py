"""Privacy requests recorded: due 30 days after receipt; a withdrawal of consent to reminders
applied at once through caseload's consent records, so the reminders stop. Breaches entered in
the register."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.accounts.models import User
from backoffice.caseload.models import Client
from backoffice.caseload.services import client_consent_record
from backoffice.messaging.models import Channel
from backoffice.privacy.models import (
    Breach,
    PrivacyRequest,
    RequestKind,
    WithdrawnChannels,
    response_due,
)

CHANNELS_WITHDRAWN = {
    WithdrawnChannels.EMAIL: [Channel.EMAIL],
    WithdrawnChannels.SMS: [Channel.SMS],
    WithdrawnChannels.BOTH: [Channel.EMAIL, Channel.SMS],
}


@transaction.atomic
def privacy_request_record(*, request: PrivacyRequest, by: User | None) -> PrivacyRequest:
    """Record a new request (its fields filled in and checked by the caller): due 30 days after
    it was received; a withdrawal of consent to reminders becomes the client's consent records
    (how the client asked, by whom, naming this request)."""
    request.due_on = response_due(request.received_on)
    request.received_by = by
    request.full_clean()
    request.save()
    for channel in CHANNELS_WITHDRAWN.get(request.withdrawn_channels, []):
        client_consent_record(
            client=request.client,
            channel=channel,
            given=False,
            method=request.received_how,
            by=by,
            note=_("Privacy request #%(number)s") % {"number": request.pk},
        )
    return request


def privacy_request_save(*, request: PrivacyRequest) -> PrivacyRequest:
    """Staff's later changes to a request: who handles it, what was done, when it was answered.
    The received day and the reminders stopped were settled when it was recorded."""
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def client_export_record(
    *, client: Client, received_on: date, received_how: str, details: str, by: User | None
) -> PrivacyRequest:
    """Staff downloaded the export of everything held about a client to answer their request
    for access: the request is recorded, answered now."""
    request = PrivacyRequest(
        client=client,
        kind=RequestKind.ACCESS,
        received_on=received_on,
        received_how=received_how,
        details=details,
        handled_by=by,
        outcome=_("Export of everything held downloaded by %(user)s.")
        % {"user": by.get_full_name() or by.get_username() if by else "-"},
        completed_at=timezone.now(),
    )
    return privacy_request_record(request=request, by=by)


def breach_save(*, breach: Breach, by: User | None) -> Breach:
    """A breach entered in the register or updated; who entered it is kept."""
    if breach.pk is None:
        breach.recorded_by = by
    breach.full_clean()
    breach.save()
    return breach
