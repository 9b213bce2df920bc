"""Writes on clients and authorizations: renewals, extensions, activation.

Every change goes through `save()`, so django-simple-history keeps who and when
(docs/quality.md, history); the reason given by staff is the history row's change reason.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.caseload.models import Authorization, Client


def _reason(label: str, note: str) -> str:
    # history_change_reason holds 100 characters; the full note is for the record's own fields.
    return (f"{label}: {note}" if note else label)[:100]


@transaction.atomic
def authorization_renewal_submit(
    *,
    authorization: Authorization,
    submitted_at: datetime,
    note: str = "",
    document: File | None = None,
) -> Authorization:
    """Record that renewal documents went to the payer: the authorization turns pink."""
    if submitted_at > timezone.now():
        raise ValidationError({"submitted_at": _("The submission date cannot be in the future.")})
    authorization.renewal_submitted_at = submitted_at
    fields = ["renewal_submitted_at"]
    if note:
        authorization.renewal_note = note
        fields.append("renewal_note")
    if document is not None:
        authorization.renewal_document = document
        fields.append("renewal_document")
    authorization._change_reason = _("Renewal documents submitted")
    authorization.save(update_fields=fields)
    return authorization


@transaction.atomic
def authorization_extend(
    *,
    authorization: Authorization,
    sessions_approved: int | None = None,
    valid_until: date | None = None,
    note: str = "",
) -> Authorization:
    """Apply the payer's extension: more sessions and/or a later expiry, never fewer or earlier.

    Clears the pink state (renewal submitted); the previous figures stay in history.
    """
    errors = {}
    if sessions_approved is not None and sessions_approved < authorization.sessions_approved:
        errors["sessions_approved"] = _(
            "An extension cannot lower the approved sessions (now %(count)s)."
        ) % {"count": authorization.sessions_approved}
    if valid_until is not None and valid_until < authorization.valid_until:
        errors["valid_until"] = _("An extension cannot move the expiry earlier (now %(date)s).") % {
            "date": authorization.valid_until.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    raises_sessions = (
        sessions_approved is not None and sessions_approved > authorization.sessions_approved
    )
    moves_expiry = valid_until is not None and valid_until > authorization.valid_until
    if not (raises_sessions or moves_expiry):
        raise ValidationError(
            _("An extension must raise the approved sessions or move the expiry later.")
        )
    if raises_sessions:
        authorization.sessions_approved = sessions_approved
    if moves_expiry:
        authorization.valid_until = valid_until
    authorization.renewal_submitted_at = None
    fields = ["sessions_approved", "valid_until", "renewal_submitted_at"]
    if note:
        line = _("%(day)s extension: %(note)s") % {"day": timezone.localdate(), "note": note}
        authorization.notes = f"{authorization.notes}\n{line}".strip()
        fields.append("notes")
    authorization._change_reason = _reason(_("Extension"), note)
    authorization.save(update_fields=fields)
    return authorization


def _client_set_active(client: Client, *, active: bool, reason: str) -> Client:
    if client.is_active == active:
        return client
    client.is_active = active
    client._change_reason = reason
    client.save(update_fields=["is_active"])
    return client


@transaction.atomic
def client_activate(*, client: Client, note: str = "") -> Client:
    """Make a client active again (no change, no history row, if already active)."""
    return _client_set_active(client, active=True, reason=_reason(_("Activated"), note))


@transaction.atomic
def client_deactivate(*, client: Client, note: str = "") -> Client:
    """Deactivate a client; their records stay and they can be activated again."""
    return _client_set_active(client, active=False, reason=_reason(_("Deactivated"), note))
