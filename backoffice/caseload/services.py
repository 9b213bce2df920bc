"""Writes on clients and authorizations: renewals, extensions, activation, therapists'
requests to activate or deactivate a client.

Every change goes through `save()`, so django-simple-history keeps who and when
(docs/quality.md, history); the reason given by staff is the history row's change reason.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.accounts.models import User
from backoffice.caseload.models import (
    Authorization,
    Client,
    ClientStatusAction,
    ClientStatusRequest,
    ClientStatusRequestState,
    Therapist,
)
from backoffice.caseload.selectors import authorizations_of_therapist, clients_of_therapist
from backoffice.documents.uploads import document_upload_check


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
    by: User | None = None,
) -> Authorization:
    """Record that renewal documents went to the payer: the authorization turns pink."""
    if submitted_at > timezone.now():
        raise ValidationError({"submitted_at": _("The submission date cannot be in the future.")})
    if document is not None:
        document_upload_check(document)
    authorization.renewal_submitted_at = submitted_at
    authorization.renewal_submitted_by = by
    fields = ["renewal_submitted_at", "renewal_submitted_by"]
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
def authorization_renewal_upload(
    *, therapist: Therapist, authorization: Authorization, document: File, note: str = ""
) -> Authorization:
    """A therapist sends the renewal documents for one of their clients' authorizations: it
    turns pink and staff get a task to send them to the payer (worklist, renewal documents).

    Refused: an authorization of another therapist's client, one whose renewal is already
    waiting for the payer, one that ended more than TASK_AUTHORIZATION_EXPIRY_DAYS ago.
    """
    authorization = (
        authorizations_of_therapist(therapist=therapist)
        .select_for_update()
        .filter(pk=authorization.pk)
        .first()
    )
    if authorization is None:
        raise ValidationError(_("This authorization is not one of your clients'."))
    if authorization.renewal_submitted_at is not None:
        raise ValidationError(
            _("Renewal documents were already sent on %(day)s; staff are waiting for the payer.")
            % {"day": timezone.localdate(authorization.renewal_submitted_at).isoformat()}
        )
    oldest = timezone.localdate() - timedelta(days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS)
    if authorization.valid_until < oldest:
        raise ValidationError(_("This authorization ended too long ago to be renewed."))
    return authorization_renewal_submit(
        authorization=authorization,
        submitted_at=timezone.now(),
        note=note.strip(),
        document=document,
        by=therapist.user,
    )


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


@transaction.atomic
def client_status_request_create(
    *, therapist: Therapist, client: Client, action: str, reason: str
) -> ClientStatusRequest:
    """A therapist asks staff to activate or deactivate one of their own clients, saying why.

    Refused: a client who is not theirs, a request that would not change the client's state,
    a client who already has a pending request. The client's row is locked, so two requests
    at once take turns; the database keeps one pending request per client.
    """
    action = ClientStatusAction(action)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the client should change state.")})
    mine = clients_of_therapist(therapist=therapist).select_for_update()
    client = mine.filter(pk=client.pk).first()
    if client is None:
        raise ValidationError(_("This client is not one of yours."))
    if client.is_active == (action == ClientStatusAction.ACTIVATE):
        message = (
            _("%(client)s is already active.")
            if client.is_active
            else _("%(client)s is already deactivated.")
        )
        raise ValidationError({"action": message % {"client": client}})
    if client.status_requests.filter(state=ClientStatusRequestState.PENDING).exists():
        raise ValidationError(
            _("%(client)s already has a request waiting for staff.") % {"client": client}
        )
    return ClientStatusRequest.objects.create(
        therapist=therapist, client=client, action=action, reason=reason
    )


@transaction.atomic
def client_status_request_decide(
    *, request: ClientStatusRequest, approve: bool, by: User, note: str = ""
) -> ClientStatusRequest:
    """Staff approve (the client is activated or deactivated, the therapist's reason or the
    note kept in the client's history) or decline a pending request, with an optional note.

    Once only: the request's row is locked and one already decided is refused.
    """
    request = (
        ClientStatusRequest.objects.select_for_update()
        .select_related("client", "therapist")
        .get(pk=request.pk)
    )
    if refusal := request.already_decided():
        raise ValidationError(refusal)
    note = note.strip()
    if approve:
        change = (
            client_activate if request.action == ClientStatusAction.ACTIVATE else client_deactivate
        )
        change(client=request.client, note=note or request.reason)
    request.state = (
        ClientStatusRequestState.APPROVED if approve else ClientStatusRequestState.DECLINED
    )
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request
