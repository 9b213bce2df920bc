"""Renewal documents submitted (pink) and extensions (more sessions or later expiry)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backoffice.billing.selectors import ClientStatus, client_status
from backoffice.caseload.services import (
    authorization_extend,
    authorization_renewal_submit,
    client_activate,
    client_deactivate,
)
from tests.factories import AuthorizationFactory, ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_out():
    """An authorization that makes its client red: two sessions left."""
    return AuthorizationFactory(sessions_approved=2)


def test_submitting_renewal_documents_turns_the_client_pink(running_out, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    submitted_at = timezone.now() - timedelta(hours=1)
    authorization_renewal_submit(
        authorization=running_out,
        submitted_at=submitted_at,
        note="Treatment plan sent",
        document=SimpleUploadedFile("plan.pdf", b"%PDF-1.4"),
    )
    running_out.refresh_from_db()
    assert running_out.renewal_submitted_at == submitted_at
    assert running_out.renewal_note == "Treatment plan sent"
    assert running_out.renewal_document.name.endswith(".pdf")
    assert client_status(client=running_out.client) == ClientStatus.PINK
    assert running_out.history.latest().history_change_reason == "Renewal documents submitted"


def test_a_renewal_cannot_be_dated_in_the_future(running_out):
    with pytest.raises(ValidationError):
        authorization_renewal_submit(
            authorization=running_out, submitted_at=timezone.now() + timedelta(days=1)
        )


def test_an_extension_raises_sessions_moves_expiry_and_clears_pink(running_out):
    old_expiry = running_out.valid_until
    authorization_renewal_submit(authorization=running_out, submitted_at=timezone.now())
    authorization_extend(
        authorization=running_out,
        sessions_approved=12,
        valid_until=old_expiry + timedelta(days=90),
        note="Plan approved by phone",
    )
    running_out.refresh_from_db()
    assert running_out.sessions_approved == 12
    assert running_out.valid_until == old_expiry + timedelta(days=90)
    assert running_out.renewal_submitted_at is None
    assert "Plan approved by phone" in running_out.notes
    assert client_status(client=running_out.client) == ClientStatus.NORMAL
    latest = running_out.history.latest()
    assert latest.history_change_reason == "Extension: Plan approved by phone"
    assert latest.prev_record.sessions_approved == 2
    assert latest.prev_record.renewal_submitted_at is not None


def test_an_extension_may_change_only_the_expiry(running_out):
    authorization_extend(
        authorization=running_out, valid_until=running_out.valid_until + timedelta(days=1)
    )
    running_out.refresh_from_db()
    assert running_out.sessions_approved == 2


@pytest.mark.parametrize(
    "change",
    [
        {"sessions_approved": 1},
        {"valid_until_days": -1},
        {"sessions_approved": 1, "valid_until_days": 30},
        {},
        {"sessions_approved": 2},
    ],
    ids=["fewer sessions", "earlier expiry", "fewer with later", "nothing", "same sessions"],
)
def test_an_extension_never_lowers_and_must_change_something(running_out, change):
    kwargs = {}
    if "sessions_approved" in change:
        kwargs["sessions_approved"] = change["sessions_approved"]
    if "valid_until_days" in change:
        kwargs["valid_until"] = running_out.valid_until + timedelta(days=change["valid_until_days"])
    before = running_out.history.count()
    with pytest.raises(ValidationError):
        authorization_extend(authorization=running_out, **kwargs)
    running_out.refresh_from_db()
    assert running_out.sessions_approved == 2
    assert running_out.history.count() == before


def test_deactivating_and_activating_a_client_keep_history():
    client = ClientFactory()
    client_deactivate(client=client, note="Moved away")
    client.refresh_from_db()
    assert not client.is_active
    assert client.history.latest().history_change_reason == "Deactivated: Moved away"
    client_activate(client=client)
    client.refresh_from_db()
    assert client.is_active
    assert client.history.count() == 3
    client_activate(client=client)
    assert client.history.count() == 3
