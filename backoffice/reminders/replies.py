"""A client's SMS answer to a reminder: C confirms the session, X cancels it, STOP withdraws
consent to SMS, anything else goes to staff; the client is answered by SMS in their language
(docs/rules.md, SMS replies).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from backoffice.caseload.models import ConsentMethod
from backoffice.caseload.services import client_consent_record
from backoffice.messaging.models import Channel, InboundSms, OutboxMessage, Purpose, SmsReplyOutcome
from backoffice.messaging.services import message_queue
from backoffice.reminders.contacts import clients_at
from backoffice.reminders.models import Reminder
from backoffice.reminders.selectors import sms_reminder_answered_by
from backoffice.scheduling.models import AppointmentStatus, ConfirmedVia
from backoffice.scheduling.services import appointment_cancel_by_client, appointment_confirm

# Read without case, spaces or a final full stop; English and French.
CONFIRM_WORDS = frozenset({"C", "CONFIRM", "CONFIRMER", "YES", "OUI"})
CANCEL_WORDS = frozenset({"X", "CANCEL", "ANNULER"})
STOP_WORDS = frozenset({"STOP", "ARRET", "ARRÊT"})


def sms_reply_word(text: str) -> str:
    """The one word a reply is read as ("c.", " Oui " → "C", "OUI")."""
    return text.strip().rstrip(".!").strip().upper()


def _act(reminder: Reminder, word: str) -> SmsReplyOutcome:
    appointment = reminder.appointment
    if word in CONFIRM_WORDS:
        appointment_confirm(appointment=appointment, via=ConfirmedVia.SMS, by=reminder.client.user)
        return SmsReplyOutcome.CONFIRMED
    # An SMS cancellation is taken even inside the late window: the client will not come.
    appointment_cancel_by_client(appointment=appointment, client=reminder.client, late_allowed=True)
    if appointment.status == AppointmentStatus.LATE_CANCELLED:
        return SmsReplyOutcome.LATE_CANCELLED
    return SmsReplyOutcome.CANCELLED


def _answer_text(outcome: SmsReplyOutcome, reminder: Reminder) -> str:
    starts_at = timezone.localtime(reminder.appointment.starts_at)
    # Day and month by name, in the active language ("Wednesday 12 May", "mercredi 12 mai").
    when = {"day": formats.date_format(starts_at, "l j F"), "time": f"{starts_at:%H:%M}"}
    if outcome == SmsReplyOutcome.CONFIRMED:
        return _("Thank you: your session on %(day)s at %(time)s is confirmed.") % when
    if outcome == SmsReplyOutcome.CANCELLED:
        return (
            _(
                "Your session on %(day)s at %(time)s is cancelled. Call the clinic to book "
                "another time."
            )
            % when
        )
    if outcome == SmsReplyOutcome.LATE_CANCELLED:
        return _(
            "Your session on %(day)s at %(time)s is cancelled. It was less than %(hours)d "
            "hours away: a late-cancellation fee may apply."
        ) % {**when, "hours": settings.LATE_CANCEL_WINDOW_HOURS}
    return _("Thank you: the clinic's staff have your message and will get back to you.")


def _answer(inbound: InboundSms, reminder: Reminder) -> OutboxMessage:
    with translation.override(reminder.client.preferred_language):
        body = _answer_text(SmsReplyOutcome(inbound.outcome), reminder)
    return message_queue(
        channel=Channel.SMS,
        recipient=reminder.message.recipient,
        body_text=body,
        purpose=Purpose.REMINDER,
        dedupe_key=f"sms-answer:{inbound.pk}",
    )


def _sms_stopped(inbound: InboundSms, word: str) -> bool:
    """STOP: every client file with this mobile number withdraws consent to SMS (recorded as
    given by SMS reply); the number gets no answer. False when no client has the number."""
    clients = clients_at(channel=Channel.SMS, address=inbound.sender)
    for client in clients:
        if client.sms_consent:
            client_consent_record(
                client=client,
                channel=Channel.SMS,
                given=False,
                method=ConsentMethod.SMS_REPLY,
                note=_("Replied %(word)s to an SMS.") % {"word": word},
                at=inbound.received_at,
            )
    return bool(clients)


@transaction.atomic
def sms_reply_handle(*, inbound: InboundSms) -> InboundSms:
    """Act on one SMS received, once. It answers the SMS reminder most recently sent to its
    number whose session is still ahead (`sms_reminder_answered_by`): a reply only ever
    touches that reminder's session and client. C confirms, X cancels (late inside the
    window); STOP withdraws consent to SMS for every client with that number, unanswered;
    a refusal, another text or an unknown number is passed to staff (a worklist task with the
    text). The client is answered with what was recorded; an unknown number is not.
    """
    inbound = InboundSms.objects.select_for_update().get(pk=inbound.pk)
    if inbound.outcome != SmsReplyOutcome.RECEIVED:  # acted on already (the job ran twice)
        return inbound
    word = sms_reply_word(inbound.text)
    if word in STOP_WORDS and _sms_stopped(inbound, word):
        inbound.outcome = SmsReplyOutcome.SMS_STOPPED
        inbound.save(update_fields=["outcome"])
        return inbound
    reminder = sms_reminder_answered_by(inbound.sender)
    inbound.outcome, inbound.outcome_note = SmsReplyOutcome.FOR_STAFF, ""
    if reminder is None:
        inbound.outcome_note = _("No SMS reminder to this number is waiting for an answer.")
    elif word in CONFIRM_WORDS | CANCEL_WORDS:
        try:
            with transaction.atomic():
                inbound.outcome = _act(reminder, word)
        except ValidationError as refusal:
            inbound.outcome_note = " ".join(refusal.messages)[:255]
    if reminder is not None:
        inbound.in_reply_to = reminder.message
        inbound.answer = _answer(inbound, reminder)
    inbound.save(update_fields=["outcome", "outcome_note", "in_reply_to", "answer"])
    return inbound
