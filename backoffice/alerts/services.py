"""The therapists' alert emails (docs/rules.md, Therapists' alerts): a weekly digest, and an
email at once when an authorization reaches its last approved session. Both go through the
outbox with a dedupe key naming their cause, so the same cause is never emailed twice; each
is written in the therapist's language.

The texts are built-in (gettext): they list rows, which the editable message templates'
single placeholders cannot, and reading a template per language would cost a query per
therapist. Logs carry counts only, never names or addresses.
"""

from datetime import date

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.alerts.selectors import (
    Alert,
    AlertFacts,
    alert_facts_by_therapist,
    dedupe_keys_queued,
    last_session_facts,
)
from backoffice.caseload.models import Therapist
from backoffice.messaging.models import Channel, Purpose
from backoffice.messaging.services.outbox import message_queue
from backoffice.notifications.models import NotificationKind
from backoffice.notifications.services import Notice, notify_each

# The worker's job that emails the last-session alert of one authorization (messaging.worker).
ALERTS_LAST_SESSION = "alerts_last_session"
# The portal's alerts page, until its URL name ("portal:alerts") exists.
ALERTS_PATH = "/portal/alerts/"


def alerts_page_url() -> str:
    """The absolute address of the portal's alerts page, for emails."""
    try:
        path = reverse("portal:alerts")
    except NoReverseMatch:
        path = ALERTS_PATH
    return settings.SITE_URL.rstrip("/") + path


def _indented(text: str) -> str:
    return "\n".join(f"    {line}".rstrip() for line in text.strip().splitlines())


def _alert_lines(alert: Alert) -> str:
    lines = f"- {alert.client_name}: {alert.title}"
    if alert.requirements.strip():
        requirements = _("What %(payer)s asks for a renewal:") % {"payer": alert.payer_name}
        lines += f"\n  {requirements}\n{_indented(alert.requirements)}"
    return lines


def _closing(url: str) -> str:
    link = _("Your alerts in the portal: %(url)s") % {"url": url}
    return f"{link}\n\n{settings.LETTERHEAD['NAME']}"


def _digest_text(therapist: Therapist, alerts: list[Alert], url: str) -> tuple[str, str]:
    count = len(alerts)
    subject = ngettext(
        "%(count)d alert needs you this week", "%(count)d alerts need you this week", count
    ) % {"count": count}
    body = "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": therapist.first_name},
            _("What needs you this week:"),
            "\n".join(_alert_lines(alert) for alert in alerts),
            _closing(url),
        ]
    )
    return subject, body


def _last_session_text(therapist: Therapist, alert: Alert, url: str) -> tuple[str, str]:
    # No client name in the subject: it shows in notifications and mailbox lists.
    subject = _("An authorization has reached its last approved session")
    body = "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": therapist.first_name},
            _(
                "One of your clients has reached the last session their payer approved; "
                "ask for a renewal before the next one."
            ),
            _alert_lines(alert),
            _closing(url),
        ]
    )
    return subject, body


def digest_dedupe_key(*, therapist_id: int, today: date) -> str:
    """One digest a therapist and ISO week."""
    year, week, _weekday = today.isocalendar()
    return f"alerts-digest:{therapist_id}:{year}-W{week:02d}"


def last_session_dedupe_key(facts: AlertFacts) -> str:
    """One email an authorization and number of sessions approved: an extension used up
    again alerts again, the same cause never twice."""
    return f"alerts-last-session:{facts.authorization_id}:{facts.sessions_approved}"


def alerts_digest_send(*, today: date | None = None) -> int:
    """Queue this week's digest to every active therapist with at least one alert: the list
    of their alerts, the payers' renewal requirements and a link to the portal. Once a week
    per therapist (running it again that week queues nothing); how many were queued.

    Five queries whatever the number of therapists, plus what queueing each new email costs
    (`message_queue`: a dedupe check, its row and history row in a savepoint).
    """
    today = today or timezone.localdate()
    therapists = list(Therapist.objects.filter(is_active=True).order_by("pk"))
    by_therapist = alert_facts_by_therapist(
        therapists=Therapist.objects.filter(is_active=True), today=today
    )
    keys = {
        therapist.pk: digest_dedupe_key(therapist_id=therapist.pk, today=today)
        for therapist in therapists
        if therapist.pk in by_therapist
    }
    queued = dedupe_keys_queued(keys=list(keys.values()))
    url = alerts_page_url()
    sent = 0
    for therapist in therapists:
        key = keys.get(therapist.pk)
        if key is None or key in queued:
            continue
        with translation.override(therapist.preferred_language):
            alerts = [facts.alert() for facts in by_therapist[therapist.pk]]
            subject, body = _digest_text(therapist, alerts, url)
        message_queue(
            channel=Channel.EMAIL,
            recipient=therapist.email,
            subject=subject,
            body_text=body,
            purpose=Purpose.NOTIFICATION,
            dedupe_key=key,
        )
        sent += 1
    return sent


def alerts_last_session_send(
    *, authorization_ids: list[int] | None = None, today: date | None = None
) -> int:
    """Email each active therapist at once about their clients' authorizations at their last
    approved session (optionally only these authorizations): once per authorization and
    number of sessions approved. How many were queued.

    The same cause notifies the therapist in the app once (`notifications.notify_each`).

    Three queries whatever the number of authorizations, plus, when there is something new,
    the notifications' seven and what queueing each new email costs (`message_queue`).
    """
    if authorization_ids is not None and not authorization_ids:
        return 0
    today = today or timezone.localdate()
    facts = last_session_facts(today=today, authorization_ids=authorization_ids)
    keys = {last_session_dedupe_key(one): one for one in facts}
    queued = dedupe_keys_queued(keys=list(keys))
    new = [one for key, one in keys.items() if key not in queued]
    if not new:
        return 0
    therapists = Therapist.objects.in_bulk({one.therapist_id for one in new})
    notify_each(
        notices=[
            Notice(
                user_id=therapists[one.therapist_id].user_id,
                kind=NotificationKind.APPROVAL_RUNNING_OUT,
                facts={"client": one.client_name},
                link=reverse("portal:client", args=[one.client_id]),
                key=last_session_dedupe_key(one),
            )
            for one in new
        ]
    )
    url = alerts_page_url()
    for one in new:
        therapist = therapists[one.therapist_id]
        with translation.override(therapist.preferred_language):
            subject, body = _last_session_text(therapist, one.alert(), url)
        message_queue(
            channel=Channel.EMAIL,
            recipient=therapist.email,
            subject=subject,
            body_text=body,
            purpose=Purpose.NOTIFICATION,
            dedupe_key=last_session_dedupe_key(one),
        )
    return len(new)
