"""Rules about reaching clients: SMS for staff to answer, contacts that messages cannot reach
(docs/rules.md, Worklist; SMS replies; Undeliverable contacts)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.caseload.services import client_contact_corrected
from backoffice.messaging.models import InboundSms, SmsReplyOutcome
from backoffice.messaging.services.receipts import sms_received_answered
from backoffice.worklist.models import Priority, RuleKey, Task, TaskState
from backoffice.worklist.services import rule_run
from tests.factories import ClientFactory
from tests.worklist.conftest import current_tasks, open_subjects, rule

pytestmark = pytest.mark.django_db

SMS, EMAIL, PHONE = RuleKey.SMS_FOR_STAFF, RuleKey.EMAIL_UNDELIVERABLE, RuleKey.PHONE_UNDELIVERABLE


def sms_for_staff(n=0, **fields):
    return InboundSms.objects.create(
        **{
            "provider_message_id": f"SMS-{n}",
            "sender": f"+1604555{n:04d}",
            "text": "Can we talk before Thursday?",
            "received_at": timezone.now() - timedelta(days=1),
            "outcome": SmsReplyOutcome.FOR_STAFF,
            **fields,
        }
    )


def test_an_sms_for_staff_is_a_high_task_due_the_day_it_came(today):
    inbound = sms_for_staff()
    sms_for_staff(1, outcome=SmsReplyOutcome.CONFIRMED)  # acted on: no task
    rule_run(rule(SMS))
    task = current_tasks(SMS)[inbound.pk]
    assert set(current_tasks(SMS)) == {inbound.pk}
    assert (task.due_on, task.priority) == (today - timedelta(days=1), Priority.HIGH)
    assert task.subject_label == "+16045550000"  # no reminder went to it: the number


def test_marking_the_sms_answered_closes_its_task():
    inbound = sms_for_staff()
    rule_run(rule(SMS))
    sms_received_answered(inbound_ids=[inbound.pk], note="Called back.")
    rule_run(rule(SMS))
    assert Task.objects.get(rule=SMS).state == TaskState.CLOSED
    inbound.refresh_from_db()
    assert (inbound.outcome, inbound.outcome_note) == (SmsReplyOutcome.ANSWERED, "Called back.")


def test_an_undeliverable_contact_is_one_task_per_client_and_channel(today):
    both = ClientFactory(
        email_undeliverable_at=timezone.now() - timedelta(days=2),
        phone="604-555-0142",
        phone_undeliverable_at=timezone.now(),
    )
    fine = ClientFactory()
    for key in (EMAIL, PHONE):
        rule_run(rule(key))
        rule_run(rule(key))
    assert open_subjects(EMAIL) == open_subjects(PHONE) == {both.pk}
    assert fine.pk not in open_subjects(EMAIL)
    assert current_tasks(EMAIL)[both.pk].due_on == today - timedelta(days=2)


def test_correcting_one_contact_ends_only_its_task():
    person = ClientFactory(
        email_undeliverable_at=timezone.now(),
        phone="604-555-0142",
        phone_undeliverable_at=timezone.now(),
    )
    for key in (EMAIL, PHONE):
        rule_run(rule(key))
    person.phone = "778-555-0142"
    person.save()
    client_contact_corrected(client=person, changed_fields=["phone"])
    for key in (EMAIL, PHONE):
        rule_run(rule(key))
    assert open_subjects(EMAIL) == {person.pk}
    assert open_subjects(PHONE) == set()


@pytest.mark.parametrize("key", [SMS, EMAIL, PHONE])
def test_a_run_costs_the_same_queries_for_one_subject_or_many(key):
    def causes(count, start):
        for n in range(start, start + count):
            if key == SMS:
                sms_for_staff(n)
            else:
                ClientFactory(
                    phone=f"604-555-{n:04d}",
                    email_undeliverable_at=timezone.now(),
                    phone_undeliverable_at=timezone.now(),
                )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rule_run(rule(key))
        return len(captured)

    rule_run(rule(key))  # the rule's row exists from its first run on
    causes(1, 0)
    small = queries()
    Task.objects.all().delete()
    causes(20, 1)
    assert queries() == small
