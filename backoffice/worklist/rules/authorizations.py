"""Rules about authorizations: running out, renewal waiting for the payer."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.billing.selectors import authorizations_with_usage
from backoffice.caseload.models import Authorization
from backoffice.documents.formatting import day, person_name
from backoffice.worklist.models import Priority, RuleKey, SubjectType
from backoffice.worklist.rules.base import Cause, Rule
from backoffice.zone_data import local_midnight


def authorization_label(row: dict) -> str:
    """ "First Last · Payer reference", from a row of AUTHORIZATION_LABEL_FIELDS."""
    client = person_name(row["client__first_name"], row["client__last_name"])
    return f"{client} · {row['payer__name']} {row['reference_number']}".strip()


AUTHORIZATION_LABEL_FIELDS = (
    "pk",
    "client__first_name",
    "client__last_name",
    "payer__name",
    "reference_number",
)


class AuthorizationRunningOut(Rule):
    """An authorization in force, with no renewal submitted, has at most
    TASK_AUTHORIZATION_SESSIONS_LEFT sessions left or expires within
    TASK_AUTHORIZATION_EXPIRY_DAYS: ask for renewal documents. Extending it (more sessions,
    a later end) or submitting the renewal ends the cause. Due at once when sessions run out,
    else on the day the client turns red for the expiry (CLIENT_RED_EXPIRY_DAYS before it, or
    today when that day has passed: a task is never due before it was found); high priority
    once the client is red."""

    key = RuleKey.AUTHORIZATION_RUNNING_OUT
    subject = SubjectType.AUTHORIZATION
    events = {"caseload.authorization": "pk", "scheduling.appointment": "authorization_id"}

    def rows(self, *, today, subject_ids):
        in_force = Authorization.objects.filter(
            valid_from__lte=today, valid_until__gte=today, renewal_submitted_at__isnull=True
        )
        expiry_from = today + timedelta(days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS)
        return (
            authorizations_with_usage(self.only(in_force, subject_ids))
            .filter(
                Q(sessions_remaining_count__lte=settings.TASK_AUTHORIZATION_SESSIONS_LEFT)
                | Q(valid_until__lte=expiry_from)
            )
            .values(*AUTHORIZATION_LABEL_FIELDS, "valid_until", "sessions_remaining_count")
        )

    def cause(self, row, *, today):
        left, until = row["sessions_remaining_count"], row["valid_until"]
        red_from = until - timedelta(days=settings.CLIENT_RED_EXPIRY_DAYS)
        red = left <= settings.CLIENT_RED_SESSIONS_LEFT or red_from <= today
        sessions_low = left <= settings.TASK_AUTHORIZATION_SESSIONS_LEFT
        return Cause(
            subject_id=row["pk"],
            subject_label=authorization_label(row),
            due_on=today if sessions_low else max(today, red_from),
            priority=Priority.HIGH if red else Priority.NORMAL,
            facts={"left": left, "until": until.isoformat()},
        )

    def describe(self, facts):
        left = ngettext("%(count)d session left", "%(count)d sessions left", facts["left"]) % {
            "count": facts["left"]
        }
        return _("%(left)s, expires %(until)s: ask the therapist for renewal documents.") % {
            "left": left,
            "until": day(date.fromisoformat(facts["until"])),
        }


def _renewal_unanswered() -> QuerySet[Authorization]:
    """Authorizations with renewal documents submitted and no answer yet (no extension, no
    newer authorization of the same payer for the client)."""
    answered = Authorization.objects.filter(
        client=OuterRef("client"),
        payer=OuterRef("payer"),
        valid_from__gt=OuterRef("valid_from"),
    )
    return Authorization.objects.filter(renewal_submitted_at__isnull=False).exclude(
        Exists(answered)
    )


class RenewalDocuments(Rule):
    """A therapist uploaded renewal documents in the portal: check them and send them to the
    payer, then mark the task done. The payer's answer (an extension, a newer authorization)
    ends the cause. Due the day they came."""

    key = RuleKey.RENEWAL_DOCUMENTS
    subject = SubjectType.AUTHORIZATION
    events = {"caseload.authorization": "pk"}

    def rows(self, *, today, subject_ids):
        uploaded = _renewal_unanswered().filter(
            renewal_submitted_by__therapist__isnull=False,
            valid_until__gte=today - timedelta(days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS),
        )
        return self.only(uploaded, subject_ids).values(
            *AUTHORIZATION_LABEL_FIELDS,
            "renewal_submitted_at",
            "renewal_submitted_by__therapist__first_name",
            "renewal_submitted_by__therapist__last_name",
        )

    def cause(self, row, *, today):
        submitted = timezone.localdate(row["renewal_submitted_at"])
        therapist = person_name(
            row["renewal_submitted_by__therapist__first_name"],
            row["renewal_submitted_by__therapist__last_name"],
        )
        return Cause(
            subject_id=row["pk"],
            subject_label=authorization_label(row),
            due_on=submitted,
            facts={"therapist": therapist, "submitted": submitted.isoformat()},
        )

    def describe(self, facts):
        return _("%(therapist)s sent renewal documents on %(day)s: send them to the payer.") % {
            "therapist": facts["therapist"],
            "day": day(date.fromisoformat(facts["submitted"])),
        }


class RenewalUnanswered(Rule):
    """Renewal documents went to the payer (the authorization is pink) and the payer has not
    answered TASK_RENEWAL_ANSWER_DAYS days later: follow up with them. The payer answers with
    an extension, which clears the submission (caseload.services.authorization_extend), or a
    new authorization for the same client: either ends the cause. Only authorizations in force
    or ended within TASK_AUTHORIZATION_EXPIRY_DAYS: an old one's renewal is history, not work.
    Due that many days after the day the documents went."""

    key = RuleKey.RENEWAL_UNANSWERED
    subject = SubjectType.AUTHORIZATION
    events = {"caseload.authorization": "pk"}

    def rows(self, *, today, subject_ids):
        last_day = today - timedelta(days=settings.TASK_RENEWAL_ANSWER_DAYS)
        waiting = _renewal_unanswered().filter(
            renewal_submitted_at__lt=local_midnight(last_day + timedelta(days=1)),
            valid_until__gte=today - timedelta(days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS),
        )
        return self.only(waiting, subject_ids).values(
            *AUTHORIZATION_LABEL_FIELDS, "renewal_submitted_at"
        )

    def cause(self, row, *, today):
        submitted = timezone.localdate(row["renewal_submitted_at"])
        return Cause(
            subject_id=row["pk"],
            subject_label=authorization_label(row),
            due_on=submitted + timedelta(days=settings.TASK_RENEWAL_ANSWER_DAYS),
            facts={"submitted": submitted.isoformat()},
        )

    def describe(self, facts):
        # Days waiting from today, not a fact: the task would otherwise change every day.
        submitted = date.fromisoformat(facts["submitted"])
        waiting = (timezone.localdate() - submitted).days
        return ngettext(
            "Renewal sent %(day)s, no answer for %(count)d day: follow up with the payer.",
            "Renewal sent %(day)s, no answer for %(count)d days: follow up with the payer.",
            waiting,
        ) % {"day": day(submitted), "count": waiting}
