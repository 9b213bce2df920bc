"""Notifying users (docs/rules.md, Notifications): the domain services that raise an event call
`notify` (or `notify_each` for many at once) inside their own transaction; the email, when the
user chose one at once, is an outbox row sent after that transaction commits. A key names the
event, so a second call for it notifies no one again. The morning email gathers the rest.

Emails say what happened and link to it; no more client detail than the in-app text (a
therapist's own client's name, never in a subject). Logs carry counts only.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.messaging.models import Channel, Purpose
from backoffice.messaging.services.outbox import message_queue
from backoffice.notifications.models import (
    EmailChoice,
    Notification,
    NotificationInbox,
    NotificationKind,
    NotificationPreference,
    kinds_for,
)
from backoffice.notifications.selectors import (
    Recipient,
    dedupe_keys_queued,
    email_choices_of,
    notifications_for_digest,
    notifications_of_user,
    recipients,
)


@dataclass(frozen=True)
class Notice:
    """One event for one user: what the notification will hold."""

    user_id: int
    kind: NotificationKind
    facts: dict
    link: str
    key: str = ""


def notify(*, user_id: int, kind: NotificationKind, facts: dict, link: str, key: str = ""):
    """Notify a user of one event (`facts` for its text, `link` the path of what it is about);
    with a `key` already given to this user, nothing happens. The new notification, or None."""
    created = notify_each(notices=[Notice(user_id, kind, facts, link, key)])
    return created[0] if created else None


def notify_each(*, notices: list[Notice]) -> list[Notification]:
    """Notify many users at once: the notifications whose key is new, each emailed at once
    when its user chose so. Seven queries whatever the number, plus each email at once."""
    keyed = {(notice.user_id, notice.key) for notice in notices if notice.key}
    seen = _keys_given(keyed)
    new = []
    for notice in notices:
        if notice.key:
            if (notice.user_id, notice.key) in seen:
                continue
            seen.add((notice.user_id, notice.key))
        new.append(notice)
    if not new:
        return []
    choices = email_choices_of(pairs={(notice.user_id, notice.kind) for notice in new})
    rows = [
        Notification(
            user_id=notice.user_id,
            kind=notice.kind,
            facts=notice.facts,
            link=notice.link,
            key=notice.key,
            email=choices[notice.user_id, notice.kind],
        )
        for notice in new
    ]
    rows = _insert(rows)
    _unread_add(Counter(row.user_id for row in rows))
    _email_at_once([row for row in rows if row.email == EmailChoice.AT_ONCE])
    return rows


def _keys_given(keyed: set[tuple[int, str]]) -> set[tuple[int, str]]:
    if not keyed:
        return set()
    return set(
        Notification.objects.filter(
            user__in={user_id for user_id, _key in keyed}, key__in={key for _user, key in keyed}
        ).values_list("user_id", "key")
    )


def _insert(rows: list[Notification]) -> list[Notification]:
    """Insert the rows; one a concurrent call gave already (the key's constraint) is left out."""
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        inserted = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                inserted.append(row)
            except IntegrityError:
                continue
        return inserted


def _unread_add(counts: dict[int, int]) -> None:
    """Keep each user's unread count in step (new ones added, read ones taken off): two
    queries for any number of users."""
    counts = {user_id: count for user_id, count in counts.items() if count}
    if not counts:
        return
    NotificationInbox.objects.bulk_create(
        [NotificationInbox(user_id=user_id) for user_id in counts], ignore_conflicts=True
    )
    NotificationInbox.objects.filter(user__in=counts).update(
        unread_count=F("unread_count")
        + Case(
            *(When(user_id=user_id, then=Value(count)) for user_id, count in counts.items()),
            output_field=IntegerField(),
        )
    )


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _closing(recipient: Recipient) -> str:
    page = (
        "notifications:staff_preferences"
        if recipient.is_staff
        else "notifications:portal_preferences"
    )
    preferences = _("Choose which notifications are emailed to you: %(url)s") % {
        "url": _absolute(reverse(page))
    }
    return f"{preferences}\n\n{settings.LETTERHEAD['NAME']}"


def _email_at_once(rows: list[Notification]) -> None:
    if not rows:
        return
    to = recipients(user_ids={row.user_id for row in rows})
    for row in rows:
        recipient = to.get(row.user_id)
        if recipient is None:
            continue
        with translation.override(recipient.language):
            subject = str(NotificationKind(row.kind).label)
            body = "\n\n".join([row.text(), _absolute(row.link), _closing(recipient)])
        _queue(recipient, subject, body, dedupe_key=f"notification:{row.pk}")
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=timezone.now())


def _queue(recipient: Recipient, subject: str, body: str, *, dedupe_key: str) -> None:
    message_queue(
        channel=Channel.EMAIL,
        recipient=recipient.email,
        subject=subject,
        body_text=body,
        purpose=Purpose.NOTIFICATION,
        dedupe_key=dedupe_key,
    )


def digest_dedupe_key(*, user_id: int, now: datetime) -> str:
    """One morning email a user and Vancouver day."""
    return f"notifications-digest:{user_id}:{timezone.localdate(now).isoformat()}"


@transaction.atomic
def notifications_digest_send(*, now: datetime | None = None) -> int:
    """The morning email: each user with notifications waiting for the digest gets one email
    listing them, in their language; they are then marked emailed. Once a user and day
    (running it again that day queues nothing; what came since waits for tomorrow). How many
    emails were queued.

    Four queries whatever the number of users, plus each email (`message_queue`).
    """
    now = now or timezone.now()
    waiting = list(notifications_for_digest(before=now))
    by_user = {
        user_id: list(rows) for user_id, rows in groupby(waiting, key=lambda row: row.user_id)
    }
    keys = {user_id: digest_dedupe_key(user_id=user_id, now=now) for user_id in by_user}
    queued = dedupe_keys_queued(keys=list(keys.values()))
    to = recipients(user_ids=set(by_user))
    emailed, sent = [], 0
    for user_id, rows in by_user.items():
        recipient = to.get(user_id)
        if keys[user_id] in queued or recipient is None:
            continue
        with translation.override(recipient.language):
            subject, body = _digest_text(rows, recipient)
        _queue(recipient, subject, body, dedupe_key=keys[user_id])
        emailed.extend(row.pk for row in rows)
        sent += 1
    if emailed:
        Notification.objects.filter(pk__in=emailed).update(emailed_at=now)
    return sent


def _digest_text(rows: list[Notification], recipient: Recipient) -> tuple[str, str]:
    count = len(rows)
    subject = ngettext("%(count)d new notification", "%(count)d new notifications", count) % {
        "count": count
    }
    lines = "\n".join(f"- {row.text()}\n  {_absolute(row.link)}" for row in rows)
    return subject, "\n\n".join([_("Since your last email:"), lines, _closing(recipient)])


@transaction.atomic
def notification_mark_read(*, notification: Notification, user) -> None:
    """Mark one of the user's own notifications read (another user's is not found)."""
    read = (
        notifications_of_user(user=user)
        .filter(pk=notification.pk, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
    _unread_add({user.pk: -read})


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; how many."""
    read = (
        notifications_of_user(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())
    )
    _unread_add({user.pk: -read})
    return read


def notification_preferences_save(*, user, choices: dict[NotificationKind, EmailChoice]) -> None:
    """Keep the user's choice of email for each of these kinds (from their next notification)."""
    allowed = set(kinds_for(user))
    for kind, email in choices.items():
        if kind in allowed:
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"email": email}
            )
