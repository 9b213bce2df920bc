"""Rules about clients: the Bad Fit list."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.documents.formatting import person_name
from backoffice.scheduling.models import BadFitEntry, BadFitReason
from backoffice.worklist.models import RuleKey, SubjectType
from backoffice.worklist.rules.base import Cause, Rule

BAD_FIT_CALL_DAYS = 1


class BadFitCall(Rule):
    """A client is on the Bad Fit list (an open entry): call them, by the next day. Removing
    them from the list ends the cause; a new entry (a later episode) is a new task."""

    key = RuleKey.BAD_FIT_CALL
    subject = SubjectType.BAD_FIT_ENTRY
    events = {"scheduling.badfitentry": "pk"}

    def rows(self, *, today, subject_ids):
        return self.only(BadFitEntry.objects.filter(resolved_at__isnull=True), subject_ids).values(
            "pk", "client__first_name", "client__last_name", "reason", "opened_at"
        )

    def cause(self, row, *, today):
        return Cause(
            subject_id=row["pk"],
            subject_label=person_name(row["client__first_name"], row["client__last_name"]),
            due_on=timezone.localdate(row["opened_at"]) + timedelta(days=BAD_FIT_CALL_DAYS),
            facts={"reason": row["reason"]},
        )

    def describe(self, facts):
        return _("On the Bad Fit list (%(reason)s): call the client.") % {
            "reason": BadFitReason(facts["reason"]).label
        }
