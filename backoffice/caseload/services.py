"""Writes on clients and authorizations: renewals, extensions, activation, therapists'
requests to activate or deactivate a client; therapists' portal accounts (invitations and
password links, emailed through the outbox); clients' sign-in links and their own choices.

Every change goes through `save()`, so django-simple-history keeps who and when
(docs/quality.md, history); the reason given by staff is the history row's change reason.
"""

from collections.abc import Collection
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from sesame.utils import get_query_string

from backoffice.accounts.models import Role, User
from backoffice.accounts.services import user_create
from backoffice.caseload.models import (
    Authorization,
    Client,
    ClientStatusAction,
    ClientStatusRequest,
    ClientStatusRequestState,
    ConsentMethod,
    ContactConsent,
    ReminderChannel,
    Therapist,
)
from backoffice.caseload.selectors import (
    authorizations_of_therapist,
    clients_for_sign_in,
    clients_of_therapist,
    therapists_for_password_reset,
)
from backoffice.documents.uploads import document_upload_check
from backoffice.messaging.models import Channel, OutboxMessage, Purpose
from backoffice.messaging.services.outbox import message_queue
from backoffice.notifications.models import NotificationKind
from backoffice.notifications.services import notify


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
    *,
    therapist: Therapist,
    authorization: Authorization,
    document: File,
    note: str = "",
    uploaded_at: datetime | None = None,
) -> Authorization:
    """A therapist sends the renewal documents for one of their clients' authorizations: it
    turns pink and staff get a task to send them to the payer (worklist, renewal documents).
    `uploaded_at` is now unless given (the demo clinic's past days).

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
    uploaded_at = uploaded_at or timezone.now()
    oldest = timezone.localdate(uploaded_at) - timedelta(
        days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS
    )
    if authorization.valid_until < oldest:
        raise ValidationError(_("This authorization ended too long ago to be renewed."))
    return authorization_renewal_submit(
        authorization=authorization,
        submitted_at=uploaded_at,
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


CONSENT_FLAGS = {Channel.EMAIL: "email_consent", Channel.SMS: "sms_consent"}
CONTACT_FIELDS = {Channel.EMAIL: "email", Channel.SMS: "phone"}


# A client's contact and the field that marks it undeliverable (docs/rules.md, Undeliverable
# contacts).
UNDELIVERABLE_FIELDS = {"email": "email_undeliverable_at", "phone": "phone_undeliverable_at"}


@transaction.atomic
def client_contact_corrected(*, client: Client, changed_fields: Collection[str]) -> Client:
    """Staff changed a client's email or mobile phone: that channel is deliverable again
    (called once the client's new contact is saved)."""
    cleared = [
        flag
        for contact, flag in UNDELIVERABLE_FIELDS.items()
        if contact in changed_fields and getattr(client, flag) is not None
    ]
    for flag in cleared:
        setattr(client, flag, None)
    if cleared:
        client._change_reason = _("Contact corrected")
        client.save(update_fields=cleared)
    return client


@transaction.atomic
def client_staff_save(
    *,
    client: Client,
    changed_fields: Collection[str],
    consent_method: ConsentMethod | str = "",
    consent_note: str = "",
    by: User | None,
) -> Client:
    """Staff save a client's page: a changed consent box becomes a consent record (how, when,
    by whom) rather than a plain flag, and a corrected email or phone is deliverable again."""
    consents = {
        channel: getattr(client, flag)
        for channel, flag in CONSENT_FLAGS.items()
        if flag in changed_fields
    }
    for channel, given in consents.items():
        setattr(client, CONSENT_FLAGS[channel], not given)  # client_consent_record sets it
    is_new = client.pk is None
    client.save()
    if not is_new:
        client_contact_corrected(client=client, changed_fields=changed_fields)
    for channel, given in consents.items():
        client_consent_record(
            client=client,
            channel=channel,
            given=given,
            method=consent_method,
            by=by,
            note=consent_note,
        )
    return client


@transaction.atomic
def client_consent_record(
    *,
    client: Client,
    channel: str,
    given: bool,
    method: ConsentMethod,
    by: User | None = None,
    note: str = "",
    at: datetime | None = None,
) -> ContactConsent:
    """Record that a client gave or withdrew consent to reminders on a channel: the client's
    flag changes and a consent record keeps when, how and who (docs/rules.md, Reminders).

    Consent to a channel needs its contact (an email address, a mobile phone)."""
    if given and not getattr(client, CONTACT_FIELDS[channel]):
        raise ValidationError(
            _("An email address is needed for email reminders.")
            if channel == Channel.EMAIL
            else _("A mobile phone is needed for SMS reminders.")
        )
    flag = CONSENT_FLAGS[channel]
    if getattr(client, flag) != given:
        setattr(client, flag, given)
        client._change_reason = _("Consent given") if given else _("Consent withdrawn")
        client.save(update_fields=[flag])
    return ContactConsent.objects.create(
        client=client,
        channel=channel,
        given=given,
        method=method,
        recorded_at=at or timezone.now(),
        recorded_by=by,
        note=note[:255],
    )


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
    if request.client.primary_therapist_id == request.therapist_id:  # still their client
        notify(
            user_id=request.therapist.user_id,
            kind=NotificationKind.REQUEST_ANSWERED,
            facts={
                "client": request.client.full_name,
                "action": request.action,
                "approved": approve,
            },
            link=reverse("portal:client", args=[request.client_id]),
            key=f"client-request:{request.pk}",
        )
    return request


# Therapists' portal accounts ---------------------------------------------------------------

# One password-reset email per therapist in each such window: asking again (or someone
# typing their address again and again) queues nothing more, and the first link still works.
PASSWORD_RESET_EMAIL_WINDOW_SECONDS = 10 * 60


def _password_link(user: User) -> str:
    """An absolute link to the portal's page that sets `user`'s password. Django's token: it
    expires after PASSWORD_RESET_TIMEOUT and dies once the password (or the last sign-in)
    changes, so it works once."""
    path = reverse(
        "portal:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def _password_link_queue(*, therapist: Therapist, invite: bool, dedupe_key: str | None = None):
    """Queue the email holding a password link, written in the therapist's language."""
    user = therapist.user
    expires = timezone.localtime(
        timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    )
    with translation.override(therapist.preferred_language):
        values = {
            "name": therapist.first_name,
            "clinic": settings.LETTERHEAD["NAME"],
            "username": user.get_username(),
            "link": _password_link(user),
            # Written out ("14 March 2026, 10:30"), in the therapist's language.
            "expires": formats.date_format(expires, "j F Y, H:i"),
        }
        if invite:
            subject = _("Your access to the %(clinic)s therapist portal") % values
            body = (
                _(
                    "Hello %(name)s,\n\n%(clinic)s invites you to its therapist portal, where "
                    "you see your clients and your monthly statements.\n\n"
                    "Your username: %(username)s\nChoose your password here:\n%(link)s\n\n"
                    "This link works once, until %(expires)s. If it has expired, ask the office "
                    "to invite you again.\n\n%(clinic)s"
                )
                % values
            )
        else:
            subject = _("Your password for the %(clinic)s therapist portal") % values
            body = (
                _(
                    "Hello %(name)s,\n\nWe received a request to reset your password for the "
                    "%(clinic)s therapist portal.\n\n"
                    "Your username: %(username)s\nChoose a new password here:\n%(link)s\n\n"
                    "This link works once, until %(expires)s. If you did not ask for it, "
                    "ignore this email: your password stays as it is.\n\n%(clinic)s"
                )
                % values
            )
    return message_queue(
        channel=Channel.EMAIL,
        recipient=therapist.email,
        subject=subject,
        body_text=body,
        purpose=Purpose.SIGN_IN,
        dedupe_key=dedupe_key,
    )


@transaction.atomic
def therapist_invite(*, therapist: Therapist, by: User | None) -> OutboxMessage:
    """Invite a therapist to the portal: their user is made active, in the therapist role,
    and one email with a link to set their password is queued to the therapist's address.

    A user without a usable password gets a fresh unusable one, so a new invitation replaces
    the link of the previous one; a user who already has a password keeps it until they use
    the link. Refused for a therapist without an email address, an inactive therapist, or one
    whose user is a staff account (the link would set a staff password).
    """
    therapist = Therapist.objects.select_for_update().select_related("user").get(pk=therapist.pk)
    user = therapist.user
    if not therapist.email:
        raise ValidationError(
            _("%(therapist)s has no email address: add one, then invite them.")
            % {"therapist": therapist}
        )
    if not therapist.is_active:
        raise ValidationError(
            _("%(therapist)s is not active: only active therapists are invited to the portal.")
            % {"therapist": therapist}
        )
    if user.is_staff or user.is_superuser:
        raise ValidationError(
            _(
                "%(therapist)s's user is a staff account: the portal is for a therapist's own "
                "account. Link the therapist to a user of their own, then invite them."
            )
            % {"therapist": therapist}
        )
    user.is_active = True
    if not user.password or not user.has_usable_password():
        user.set_unusable_password()
    user._history_user = by
    user.save(update_fields=["is_active", "password"])
    group, _created = Group.objects.get_or_create(name=Role.THERAPIST.value)
    user.groups.add(group)
    therapist.invited_at = timezone.now()
    therapist._history_user = by
    therapist.save(update_fields=["invited_at"])
    return _password_link_queue(therapist=therapist, invite=True)


def therapist_password_reset_send(*, email: str) -> list[OutboxMessage]:
    """A therapist forgot their password: email each therapist with this address (see
    `therapists_for_password_reset`) a link to choose a new one, in their language.

    Nothing for an address that is no therapist's (the caller answers the same either way).
    At most one email per therapist per PASSWORD_RESET_EMAIL_WINDOW_SECONDS.
    """
    window = int(timezone.now().timestamp()) // PASSWORD_RESET_EMAIL_WINDOW_SECONDS
    return [
        _password_link_queue(
            therapist=therapist,
            invite=False,
            dedupe_key=f"password-reset:{therapist.user_id}:{window}",
        )
        for therapist in therapists_for_password_reset(email=email)
    ]


# Clients' sign-in and their own page -------------------------------------------------------

# A token made for the clients' sign-in page opens nothing else (django-sesame's scope).
CLIENT_SIGN_IN_SCOPE = "client-sign-in"


def _client_user(client: Client) -> User:
    """The client's sign-in account, made the first time they ask for a link: not staff, no
    usable password (links only), in the client role; named by the file number only."""
    if client.user_id:
        return client.user
    client.user = user_create(username=f"client-{client.pk}", role=Role.CLIENT)
    client._change_reason = _("Sign-in account made")
    client.save(update_fields=["user"])
    return client.user


def _sign_in_link(user: User) -> str:
    """An absolute link that signs `user` in to the client pages: it expires after
    SESAME_MAX_AGE and works once (it dies with the next sign-in)."""
    query = get_query_string(user, scope=CLIENT_SIGN_IN_SCOPE)
    return settings.SITE_URL.rstrip("/") + reverse("client:link") + query


def _sign_in_link_queue(client: Client, *, dedupe_key: str) -> OutboxMessage:
    """Queue the email holding a client's sign-in link, written in the client's language."""
    expires = timezone.localtime(timezone.now() + timedelta(seconds=settings.SESAME_MAX_AGE))
    with translation.override(client.preferred_language):
        values = {
            "name": client.preferred_name or client.first_name,
            "clinic": settings.LETTERHEAD["NAME"],
            "link": _sign_in_link(_client_user(client)),
            "expires": formats.date_format(expires, "j F Y, H:i"),
        }
        subject = _("Your sign-in link for %(clinic)s") % values
        body = (
            _(
                "Hello %(name)s,\n\nHere is your link to your page at %(clinic)s, where you see "
                "your upcoming sessions, your invoices and receipts, and how we remind you of "
                "your sessions:\n%(link)s\n\n"
                "This link works once, until %(expires)s. If you did not ask for it, ignore "
                "this email.\n\n%(clinic)s"
            )
            % values
        )
    return message_queue(
        channel=Channel.EMAIL,
        recipient=client.email,
        subject=subject,
        body_text=body,
        purpose=Purpose.SIGN_IN,
        dedupe_key=dedupe_key,
    )


@transaction.atomic
def client_sign_in_link_send(*, email: str) -> list[OutboxMessage]:
    """A client asks for a link to their pages: each active client file with this address
    (see `clients_for_sign_in`; a family's files share one) gets its own email, in its
    language, with a link to that file's pages; the file's account is made on the first
    request (docs/rules.md, Clients' pages).

    Nothing for an address that is no client's (the caller answers the same either way), and
    nothing when a link went to this address less than CLIENT_LINK_INTERVAL_SECONDS ago."""
    now = timezone.now()
    interval = settings.CLIENT_LINK_INTERVAL_SECONDS
    window = int(now.timestamp()) // interval
    clients = list(clients_for_sign_in(email=email).select_for_update(of=("self",)).order_by("pk"))
    recent_keys = [
        f"client-sign-in:{client.pk}:{w}" for client in clients for w in (window - 1, window)
    ]
    if OutboxMessage.objects.filter(
        dedupe_key__in=recent_keys, created_at__gt=now - timedelta(seconds=interval)
    ).exists():
        return []
    return [
        _sign_in_link_queue(client, dedupe_key=f"client-sign-in:{client.pk}:{window}")
        for client in clients
    ]


# The reminder channels and the consent each needs.
CHANNEL_CONSENTS = {
    ReminderChannel.EMAIL: [Channel.EMAIL],
    ReminderChannel.SMS: [Channel.SMS],
    ReminderChannel.BOTH: [Channel.EMAIL, Channel.SMS],
    ReminderChannel.NONE: [],
}


@transaction.atomic
def client_preferences_save(
    *,
    client: Client,
    reminder_channel: str,
    preferred_language: str,
    email_consent: bool,
    sms_consent: bool,
) -> list[ContactConsent]:
    """A client's own choices on their page: consent to email and SMS reminders (each change
    recorded through `client_consent_record`, by the client, on their page), how they are
    reminded, and their language. Reminders on a channel need consent to it."""
    client._history_user = client.user
    records = [
        client_consent_record(
            client=client,
            channel=channel,
            given=given,
            method=ConsentMethod.CLIENT_PAGE,
            by=client.user,
        )
        for channel, given in ((Channel.EMAIL, email_consent), (Channel.SMS, sms_consent))
        if getattr(client, CONSENT_FLAGS[channel]) != given
    ]
    for channel in CHANNEL_CONSENTS[reminder_channel]:
        if not getattr(client, CONSENT_FLAGS[channel]):
            raise ValidationError(
                _("To be reminded by email, tick your consent to email.")
                if channel == Channel.EMAIL
                else _("To be reminded by SMS, tick your consent to SMS.")
            )
    client.reminder_channel = reminder_channel
    client.preferred_language = preferred_language
    client.save(update_fields=["reminder_channel", "preferred_language"])
    return records
