"""Notifications: one row per event that concerns a user, read in the bell and the lists, and
each user's choice of email per kind (docs/rules.md, Notifications).

A notification stores facts (JSON: names, numbers, ISO dates, choice values), not words: its
text is written when it is shown or emailed, in the reader's language. No history: a user's
own inbox and settings are not the clinic's records.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from backoffice.documents.formatting import month


class NotificationKind(models.TextChoices):
    REQUEST_ANSWERED = "request-answered", gettext_lazy("Client request answered")
    APPROVAL_RUNNING_OUT = "approval-running-out", gettext_lazy("Approval running out")
    STATEMENT_SENT = "statement-sent", gettext_lazy("Statement sent")
    TASK_ASSIGNED = "task-assigned", gettext_lazy("Task assigned to you")


class EmailChoice(models.TextChoices):
    NEVER = "never", gettext_lazy("Never (in the app only)")
    AT_ONCE = "at-once", gettext_lazy("At once")
    DIGEST = "digest", gettext_lazy("In one email each morning")


# Who each kind is for: the preference pages list only the reader's own kinds.
STAFF_KINDS = [NotificationKind.TASK_ASSIGNED]
THERAPIST_KINDS = [
    NotificationKind.REQUEST_ANSWERED,
    NotificationKind.APPROVAL_RUNNING_OUT,
    NotificationKind.STATEMENT_SENT,
]
# Without a choice of their own: in the morning email, except where the event is an email to
# the therapist already (the statement itself, the last-session alert); staff work in the app.
DEFAULT_EMAIL = {
    NotificationKind.REQUEST_ANSWERED: EmailChoice.DIGEST,
    NotificationKind.APPROVAL_RUNNING_OUT: EmailChoice.NEVER,
    NotificationKind.STATEMENT_SENT: EmailChoice.NEVER,
    NotificationKind.TASK_ASSIGNED: EmailChoice.NEVER,
}


def kinds_for(user) -> list[NotificationKind]:
    """The kinds of notification a user can get: staff's, or a therapist's."""
    return STAFF_KINDS if user.is_staff else THERAPIST_KINDS


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=gettext_lazy("user"),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=30, choices=NotificationKind.choices)
    facts = models.JSONField(gettext_lazy("facts"), default=dict)
    link = models.CharField(
        gettext_lazy("link"), max_length=300, help_text=gettext_lazy("A path on this site.")
    )
    # Names the event, so that a second call for the same event notifies no one again.
    key = models.CharField(gettext_lazy("key"), max_length=120, blank=True, default="")
    created_at = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    read_at = models.DateTimeField(gettext_lazy("read"), null=True, blank=True)
    # The user's choice when it happened: a digest waits for the morning email.
    email = models.CharField(
        gettext_lazy("email"), max_length=10, choices=EmailChoice.choices, default=EmailChoice.NEVER
    )
    emailed_at = models.DateTimeField(gettext_lazy("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_once_per_key"
            )
        ]
        indexes = [
            # The bell's unread count and each user's list, newest first.
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
            # What the next morning email holds; read or emailed, a row leaves it.
            models.Index(
                fields=["user", "created_at"],
                condition=Q(email="digest", emailed_at__isnull=True, read_at__isnull=True),
                name="notification_digest_waiting",
            ),
        ]

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """What happened, in the active language."""
        facts = self.facts
        if self.kind == NotificationKind.REQUEST_ANSWERED:
            approved = facts["approved"]
            if facts["action"] == "activate":
                text = (
                    _("Your request to activate %(client)s was approved.")
                    if approved
                    else _("Your request to activate %(client)s was declined.")
                )
            else:
                text = (
                    _("Your request to deactivate %(client)s was approved.")
                    if approved
                    else _("Your request to deactivate %(client)s was declined.")
                )
            return text % {"client": facts["client"]}
        if self.kind == NotificationKind.APPROVAL_RUNNING_OUT:
            return _("%(client)s has reached the last session their payer approved.") % {
                "client": facts["client"]
            }
        if self.kind == NotificationKind.STATEMENT_SENT:
            return _("Your statement for %(month)s was sent.") % {
                "month": month(date.fromisoformat(facts["month"]))
            }
        count = facts["count"]
        return ngettext(
            "%(by)s assigned you a task.", "%(by)s assigned you %(count)d tasks.", count
        ) % {"by": facts["by"], "count": count}


class NotificationInbox(models.Model):
    """How many of a user's notifications are unread, kept in step by every notify and read
    (services), so that the bell on every page costs no query: the sign-in backend loads it
    with the user (`accounts.backends.CaseloadBackend`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_inbox",
        verbose_name=gettext_lazy("user"),
    )
    unread_count = models.PositiveIntegerField(gettext_lazy("unread"), default=0)

    class Meta:
        verbose_name = gettext_lazy("notification inbox")
        verbose_name_plural = gettext_lazy("notification inboxes")

    def __str__(self) -> str:
        return str(self.unread_count)


class NotificationPreference(models.Model):
    """A user's choice of email for one kind; without a row, `DEFAULT_EMAIL`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=gettext_lazy("user"),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=30, choices=NotificationKind.choices)
    email = models.CharField(gettext_lazy("email"), max_length=10, choices=EmailChoice.choices)

    class Meta:
        verbose_name = gettext_lazy("notification preference")
        verbose_name_plural = gettext_lazy("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_email_display()}"
