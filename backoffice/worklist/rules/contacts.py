"""Rules about reaching clients: an SMS received that staff must read, and a client's email or
mobile number that messages cannot reach (docs/rules.md, SMS replies; Undeliverable
contacts)."""

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from backoffice.caseload.models import Client
from backoffice.documents.formatting import person_name
from backoffice.messaging.selectors import sms_received_for_staff
from backoffice.worklist.models import Priority, RuleKey, SubjectType
from backoffice.worklist.rules.base import Cause, Rule

SMS_TEXT_CHARS = 160


class SmsForStaff(Rule):
    """An SMS came to the clinic's number that no rule acted on: a reply other than C or X,
    a C or X the session's rules refused, or a number no reminder went to. One task per SMS,
    high priority (a client is waiting), due the day it came; staff read it, deal with it and
    mark the task done (the SMS stays, with its task, in the history)."""

    key = RuleKey.SMS_FOR_STAFF
    subject = SubjectType.SMS_RECEIVED
    events = {"messaging.inboundsms": "pk"}

    def rows(self, *, today, subject_ids):
        return self.only(sms_received_for_staff(), subject_ids).values(
            "pk",
            "sender",
            "text",
            "received_at",
            "outcome_note",
            "in_reply_to_id",
            "in_reply_to__reminder__client__first_name",
            "in_reply_to__reminder__client__last_name",
        )

    def cause(self, row, *, today):
        client = person_name(
            row["in_reply_to__reminder__client__first_name"],
            row["in_reply_to__reminder__client__last_name"],
        )
        if row["in_reply_to_id"] is None:
            why = "unknown-number"
        else:
            why = "refused" if row["outcome_note"] else "message"
        return Cause(
            subject_id=row["pk"],
            subject_label=client or row["sender"],
            due_on=timezone.localdate(row["received_at"]),
            priority=Priority.HIGH,
            facts={"text": Truncator(row["text"]).chars(SMS_TEXT_CHARS), "why": why},
        )

    def describe(self, facts):
        what = {
            "message": _("SMS reply: “%(text)s”. Read it and answer the client."),
            "refused": _(
                "SMS reply: “%(text)s”. It could not be recorded (see the SMS): answer the client."
            ),
            "unknown-number": _(
                "SMS from a number no reminder went to: “%(text)s”. Find who wrote and answer."
            ),
        }[facts["why"]]
        return what % {"text": facts["text"]}


class ContactUndeliverable(Rule):
    """A client's email bounced for good, or the SMS provider says their mobile number cannot
    receive: check the contact with the client and correct it on their page. Correcting it
    clears the mark and ends the cause; reminders skip that channel meanwhile. One task per
    client and channel, due the day it was found."""

    subject = SubjectType.CLIENT
    events = {"caseload.client": "pk"}
    flag: str

    def rows(self, *, today, subject_ids):
        marked = Client.objects.filter(**{f"{self.flag}__isnull": False})
        return self.only(marked, subject_ids).values("pk", "first_name", "last_name", self.flag)

    def cause(self, row, *, today):
        return Cause(
            subject_id=row["pk"],
            subject_label=person_name(row["first_name"], row["last_name"]),
            due_on=timezone.localdate(row[self.flag]),
        )


class EmailUndeliverable(ContactUndeliverable):
    key = RuleKey.EMAIL_UNDELIVERABLE
    flag = "email_undeliverable_at"

    def describe(self, facts):
        return _("Emails to the client bounce: check the address with them and correct it.")


class PhoneUndeliverable(ContactUndeliverable):
    key = RuleKey.PHONE_UNDELIVERABLE
    flag = "phone_undeliverable_at"

    def describe(self, facts):
        return _("SMS cannot reach the client's mobile number: check it with them and correct it.")
