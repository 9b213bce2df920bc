"""The statement day's periodic job: when it runs, and once per period (docs/quality.md,
Periodic jobs once)."""

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException

from backoffice.messaging.models import OutboxMessage
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.services.sending import statements_month_end
from jobs.tasks import statements_month_end_task
from tests.factories import TherapistFactory, TherapistRateFactory
from tests.payouts.test_statements import session


def test_it_runs_on_the_statement_day_at_seven_in_the_morning_in_vancouver(settings):
    assert settings.STATEMENT_DAY == 5
    task = statements_month_end_task.s()

    def runs_at(moment):  # Huey checks its schedules on naive UTC times
        return task.validate_datetime(moment)

    assert runs_at(datetime(2026, 12, 5, 14, 0))  # 07:00 in Vancouver, UTC-7 all year now
    assert not runs_at(datetime(2026, 12, 5, 15, 0))  # 08:00: the old winter offset's hour
    assert runs_at(datetime(2026, 2, 5, 15, 0))  # 07:00 PST, before the March 2026 change
    assert not runs_at(datetime(2026, 12, 5, 7, 0))
    assert not runs_at(datetime(2026, 12, 6, 14, 0))


@pytest.mark.django_db
def test_a_second_consumer_does_not_run_it_while_the_first_holds_the_lock():
    with HUEY.lock_task("statements-month-end"), pytest.raises(TaskLockedException):
        statements_month_end_task.call_local()
    assert not Statement.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_give_one_statement_per_therapist_each_sent_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; row locks matter on PostgreSQL")
    for _n in range(4):
        therapist = TherapistFactory()
        TherapistRateFactory(therapist=therapist, session_price_amount=Decimal("120.00"))
        session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
        session(therapist, date(2026, 10, 7))
    barrier = threading.Barrier(2, timeout=15)
    errors = []

    def run():
        try:
            barrier.wait()
            statements_month_end(today=date(2026, 11, 5))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Statement.objects.count() == 4
    assert set(Statement.objects.values_list("status", flat=True)) == {StatementStatus.SENT}
    assert OutboxMessage.objects.count() == 4
