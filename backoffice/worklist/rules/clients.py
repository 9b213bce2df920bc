"""Rules about clients: the Bad Fit list, therapists' requests to activate or deactivate one."""

from datetime import timedelta

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from backoffice.caseload.models import (
    ClientStatusRequest,
    ClientStatusRequestState,
    client_status_request_line,
)
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


REQUEST_DECISION_DAYS = 1
REQUEST_REASON_CHARS = 120


class ClientStatusRequestPending(Rule):
    """A therapist asks to activate or deactivate a client (a pending request; at most one per
    client): approve or decline it, by the next day. Deciding ends the cause; a later request
    is a new task."""

    key = RuleKey.CLIENT_STATUS_REQUEST
    subject = SubjectType.CLIENT
    events = {"caseload.clientstatusrequest": "client_id"}

    def rows(self, *, today, subject_ids):
        pending = ClientStatusRequest.objects.filter(state=ClientStatusRequestState.PENDING)
        return self.only(pending, subject_ids, "client_id").values(
            "client_id",
            "client__first_name",
            "client__last_name",
            "therapist__first_name",
            "therapist__last_name",
            "action",
            "reason",
            "requested_at",
        )

    def cause(self, row, *, today):
        requested = timezone.localdate(row["requested_at"])
        return Cause(
            subject_id=row["client_id"],
            subject_label=person_name(row["client__first_name"], row["client__last_name"]),
            due_on=requested + timedelta(days=REQUEST_DECISION_DAYS),
            facts={
                "therapist": person_name(row["therapist__first_name"], row["therapist__last_name"]),
                "action": row["action"],
                "reason": Truncator(row["reason"]).chars(REQUEST_REASON_CHARS),
            },
        )

    def describe(self, facts):
        return client_status_request_line(**facts)
