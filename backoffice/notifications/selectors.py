"""Reads of notifications: a user's own only (another user's id is not found)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse

from backoffice.messaging.models import OutboxMessage
from backoffice.notifications.models import (
    DEFAULT_EMAIL,
    EmailChoice,
    Notification,
    NotificationInbox,
    NotificationKind,
    NotificationPreference,
    kinds_for,
)

# Notifications a page of the list shows, newest first.
PAGE_SIZE = 20


def inbox_url(user) -> str:
    """The user's notifications page: in the admin for staff, in the portal for therapists."""
    return reverse("notifications:staff" if user.is_staff else "notifications:portal")


def notifications_of_user(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user)


def unread_count(*, user) -> int:
    """How many of the user's notifications are unread: no query when the user was loaded
    with their inbox (the sign-in backend does, for the bell on every page), else one."""
    try:
        return user.notification_inbox.unread_count
    except NotificationInbox.DoesNotExist:
        return 0


def email_choices(*, user) -> dict[NotificationKind, EmailChoice]:
    """The user's choice of email for each of their kinds, the defaults filled in."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: EmailChoice(chosen.get(kind, DEFAULT_EMAIL[kind])) for kind in kinds_for(user)}


def email_choices_of(*, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], EmailChoice]:
    """The choice of email of each (user id, kind) pair, the defaults filled in: one query."""
    if not pairs:
        return {}
    chosen = {
        (user_id, kind): email
        for user_id, kind, email in NotificationPreference.objects.filter(
            user__in={user_id for user_id, _kind in pairs}
        ).values_list("user_id", "kind", "email")
    }
    return {pair: EmailChoice(chosen.get(pair, DEFAULT_EMAIL[pair[1]])) for pair in pairs}


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    is_staff: bool


def recipients(*, user_ids: set[int]) -> dict[int, Recipient]:
    """Where and in which language to write to each user: a therapist at their therapist
    record's address and language (as their statements and alerts), staff at their account's.
    One query; users without an address are left out."""
    rows = (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .annotate(
            address=Coalesce(NullIf(F("therapist__email"), Value("")), F("email")),
            language=Coalesce(F("therapist__preferred_language"), F("preferred_language")),
        )
        .values_list("pk", "address", "language", "is_staff")
    )
    return {pk: Recipient(email, language, staff) for pk, email, language, staff in rows if email}


def notifications_for_digest(*, before) -> QuerySet[Notification]:
    """What the morning email holds: notifications for the digest, created by `before`,
    neither emailed nor read (seen in the app already), each user's oldest first."""
    return Notification.objects.filter(
        email=EmailChoice.DIGEST,
        emailed_at__isnull=True,
        read_at__isnull=True,
        created_at__lte=before,
    ).order_by("user_id", "created_at", "pk")


def dedupe_keys_queued(*, keys: list[str]) -> set[str]:
    """Which of these outbox dedupe keys were queued already (a morning email sent today)."""
    if not keys:
        return set()
    return set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
