"""Never twice under concurrency (docs/rules.md, Reminders): two planners and two senders
racing on PostgreSQL, each pair released together after its reads."""

import threading

import pytest
from django.db import connection

from backoffice.messaging.models import Channel, OutboxMessage
from backoffice.reminders.models import Reminder, ReminderOffset, ReminderStatus
from backoffice.reminders.services import reminder_send, reminders_plan_read, reminders_plan_write
from tests.reminders.conftest import local, reminded_client, session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two connections writing at once need PostgreSQL")


def side_by_side(first_half, second_half) -> list:
    """Two threads: each runs `first_half()`, waits for the other, then `second_half(read)`."""
    barrier = threading.Barrier(2, timeout=15)
    results, errors = [], []

    def run():
        try:
            read = first_half()
            barrier.wait()
            results.append(second_half(read))
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_planners_and_two_senders_at_once_send_each_reminder_once(clock):
    for channel, hours in ((Channel.EMAIL, 48), (Channel.SMS, 24)):  # flushed by earlier tests?
        ReminderOffset.objects.get_or_create(channel=channel, hours_before=hours)
    couple = [reminded_client(), reminded_client()]
    appointment = session(local(13, 15), *couple)
    side_by_side(reminders_plan_read, lambda plan: reminders_plan_write(plan=plan))
    assert Reminder.objects.filter(appointment=appointment).count() == 4

    clock.move_to(local(11, 15))
    due = Reminder.objects.select_related("client", "appointment__therapist").get(
        client=couple[0], channel="email"
    )
    sent = side_by_side(lambda: due, lambda reminder: reminder_send(reminder=reminder))
    assert sorted(sent) == [False, True]
    assert OutboxMessage.objects.filter(dedupe_key=f"reminder:{due.pk}").count() == 1
    due.refresh_from_db()
    assert due.status == ReminderStatus.QUEUED
