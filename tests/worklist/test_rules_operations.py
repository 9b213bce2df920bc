"""The operations rules: failed messages, month runs' problems, last month not invoiced, last
month's statements not sent. Each opens, does not duplicate, closes through the real service,
and opens a new task when a cause marked done comes back."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from backoffice.billing.services import invoices_generate
from backoffice.caseload.models import ClientKind
from backoffice.documents.models import SendStatus
from backoffice.messaging.models import OutboxStatus, Purpose
from backoffice.messaging.services import outbox_retry, outbox_send
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.services import statements_generate
from backoffice.payouts.services.sending import statements_send
from backoffice.worklist.models import Priority, RuleKey, RunKind, RunReport, Task, TaskState
from backoffice.worklist.services import rule_run, run_report_record, tasks_mark_done
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    OutboxMessageFactory,
    PayerFactory,
    PayerRateFactory,
    TherapistFactory,
    TherapistRateFactory,
)
from tests.worklist.conftest import current_tasks, open_subjects, rule

pytestmark = pytest.mark.django_db
MESSAGE_FAILED = RuleKey.MESSAGE_FAILED
RUN_PROBLEMS = RuleKey.RUN_PROBLEMS
NOT_INVOICED = RuleKey.MONTH_NOT_INVOICED
NOT_SENT = RuleKey.STATEMENTS_NOT_SENT
OCT, DEC = date(2026, 10, 1), date(2026, 12, 1)
OCTOBER = 202610  # a month's subject id


def aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def session(client, day: date, hour: int = 10, **fields):
    """A completed session of `client` with their primary therapist on `day` at `hour`."""
    return AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        starts_at=aware(day, hour),
        status=fields.pop("status", "completed"),
        **fields,
    )


def mark_done(rule_key, by):
    tasks_mark_done(tasks=Task.objects.filter(rule=rule_key), by=by, note="Handled.")


# --- Failed messages --------------------------------------------------------------------------


def failed_message(**fields):
    return OutboxMessageFactory(**{"status": OutboxStatus.FAILED, "attempt_count": 6, **fields})


def test_a_failed_invoice_email_opens_one_high_priority_task_naming_no_recipient():
    message = failed_message(purpose=Purpose.INVOICE)
    reminder = failed_message(purpose=Purpose.REMINDER, channel="sms", attempt_count=1)
    OutboxMessageFactory(status=OutboxStatus.PENDING)
    OutboxMessageFactory(status=OutboxStatus.SENT)

    first, second = rule_run(rule(MESSAGE_FAILED)), rule_run(rule(MESSAGE_FAILED))

    assert (first.opened, second.opened, second.ended) == (2, 0, 0)
    tasks = current_tasks(MESSAGE_FAILED)
    task = tasks[message.pk]
    assert task.subject_label == f"Invoice · Email #{message.pk}"
    assert message.recipient not in task.subject_label
    assert (task.priority, task.due_on) == (Priority.HIGH, timezone.localdate())
    assert task.facts == {
        "purpose": "invoice",
        "channel": "email",
        "attempts": 6,
        "unconfirmed": False,
    }
    assert rule(MESSAGE_FAILED).describe(task.facts) == (
        "Invoice email failed after 6 attempts: check the address and send it again from "
        "the outbox."
    )
    assert tasks[reminder.pk].priority == Priority.NORMAL


def test_sending_it_again_closes_the_task_through_the_outbox_event(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = failed_message(purpose=Purpose.RECEIPT)
    assert open_subjects(MESSAGE_FAILED) == {message.pk}

    with django_capture_on_commit_callbacks(execute=True):  # staff's "send again"
        outbox_retry(message_ids=[message.pk])

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    task = Task.objects.get(rule=MESSAGE_FAILED)
    assert (task.state, task.cause_ended_at is not None) == (TaskState.CLOSED, True)


def test_an_unconfirmed_message_opens_a_task_saying_it_may_have_gone():
    message = OutboxMessageFactory(status=OutboxStatus.UNCONFIRMED, attempt_count=1)
    rule_run(rule(MESSAGE_FAILED))
    task = current_tasks(MESSAGE_FAILED)[message.pk]
    assert rule(MESSAGE_FAILED).describe(task.facts) == (
        "Notification email may have gone: sending stopped after the provider got it. Check "
        "with the recipient before sending it again from the outbox."
    )


def test_a_message_queued_again_ends_the_cause_and_failing_again_opens_a_new_task(
    superuser, postmark_server
):
    message = failed_message(purpose=Purpose.STATEMENT)
    rule_run(rule(MESSAGE_FAILED))
    mark_done(MESSAGE_FAILED, superuser)

    outbox_retry(message_ids=[message.pk])  # back in the queue: no longer failed
    rule_run(rule(MESSAGE_FAILED))
    assert current_tasks(MESSAGE_FAILED) == {}
    assert Task.objects.get().state == TaskState.DONE

    postmark_server.answer = "inactive"  # the provider refuses the address
    outbox_send(message_id=message.pk)
    postmark_server.answer = "ok"
    rule_run(rule(MESSAGE_FAILED))
    assert Task.objects.count() == 2
    assert open_subjects(MESSAGE_FAILED) == {message.pk}


# --- Month runs' problems ---------------------------------------------------------------------


@pytest.fixture
def unauthorized_session(db):
    """An October session of an indirect client with no authorization: the invoice run
    reports it, not billed."""
    return session(ClientFactory(kind=ClientKind.INDIRECT), date(2026, 10, 6))


def test_an_invoice_run_with_problems_opens_a_task_through_its_signal(
    unauthorized_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = invoices_generate(month=OCT)

    report = RunReport.objects.get()
    assert (report.kind, report.month, report.problems) == (
        RunKind.INVOICES,
        OCT,
        result.warnings,
    )
    assert len(report.problems) == 1
    task = current_tasks(RUN_PROBLEMS)[report.pk]
    assert task.subject_label == "Invoice run 2026-10"
    assert task.facts == {"kind": "invoices", "month": "2026-10-01", "count": 1}
    assert task.due_on == timezone.localdate()
    assert rule(RUN_PROBLEMS).describe(task.facts) == (
        "The invoice run of October 2026 reported 1 problem: fix it and run the month again."
    )

    with django_capture_on_commit_callbacks(execute=True):  # a second run: no duplicate
        invoices_generate(month=OCT)
    assert Task.objects.filter(rule=RUN_PROBLEMS).count() == 1

    authorization = AuthorizationFactory(client=unauthorized_session.billing_client)
    PayerRateFactory(payer=authorization.payer, service_type=unauthorized_session.service_type)
    unauthorized_session.authorization = authorization
    unauthorized_session.save()
    with django_capture_on_commit_callbacks(execute=True):
        invoices_generate(month=OCT)

    assert RunReport.objects.get().problems == []
    task = Task.objects.get(rule=RUN_PROBLEMS)
    assert (task.state, task.cause_ended_at is not None) == (TaskState.CLOSED, True)


def test_a_run_for_one_bill_to_leaves_the_months_report_alone(
    unauthorized_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoices_generate(month=OCT)
    with django_capture_on_commit_callbacks(execute=True):
        invoices_generate(month=OCT, bill_to=ClientFactory())
    assert len(RunReport.objects.get().problems) == 1
    assert open_subjects(RUN_PROBLEMS) == {RunReport.objects.get().pk}


def test_a_statement_run_with_problems_opens_a_task_and_a_clean_rerun_closes_it(
    django_capture_on_commit_callbacks,
):
    therapist = TherapistFactory()
    session(ClientFactory(primary_therapist=therapist), date(2026, 10, 6))  # no rate yet

    with django_capture_on_commit_callbacks(execute=True):
        statements_generate(month=OCT)
    report = RunReport.objects.get(kind=RunKind.STATEMENTS)
    assert len(report.problems) == 1
    assert open_subjects(RUN_PROBLEMS) == {report.pk}
    assert current_tasks(RUN_PROBLEMS)[report.pk].subject_label == "Statement run 2026-10"

    TherapistRateFactory(therapist=therapist)
    with django_capture_on_commit_callbacks(execute=True):
        statements_generate(month=OCT)

    assert RunReport.objects.get(kind=RunKind.STATEMENTS).problems == []
    assert open_subjects(RUN_PROBLEMS) == set()
    assert Task.objects.get(rule=RUN_PROBLEMS).state == TaskState.CLOSED


def test_problems_back_after_a_done_task_open_a_new_one(superuser):
    report = run_report_record(kind=RunKind.INVOICES, month=OCT, problems=["No rate."])
    rule_run(rule(RUN_PROBLEMS))
    mark_done(RUN_PROBLEMS, superuser)
    rule_run(rule(RUN_PROBLEMS), subject_ids=[report.pk])
    assert open_subjects(RUN_PROBLEMS) == set()

    run_report_record(kind=RunKind.INVOICES, month=OCT, problems=[])
    rule_run(rule(RUN_PROBLEMS), subject_ids=[report.pk])
    assert current_tasks(RUN_PROBLEMS) == {}
    assert Task.objects.get().state == TaskState.DONE

    run_report_record(kind=RunKind.INVOICES, month=OCT, problems=["No rate.", "Set aside."])
    rule_run(rule(RUN_PROBLEMS), subject_ids=[report.pk])
    assert Task.objects.count() == 2
    assert current_tasks(RUN_PROBLEMS)[report.pk].facts["count"] == 2


# --- Last month not invoiced ------------------------------------------------------------------


def test_last_months_unbilled_sessions_open_one_task_that_the_month_run_closes():
    client = ClientFactory(kind=ClientKind.DIRECT)
    session(client, date(2026, 10, 1))
    session(client, date(2026, 10, 31))
    session(client, date(2026, 11, 2))  # this month: not yet
    session(client, date(2026, 9, 30))  # two months back: not this rule's month
    session(client, date(2026, 10, 8), status="cancelled")
    session(client, date(2026, 10, 9), status="no-show")  # no fee: nothing to bill

    first, second = rule_run(rule(NOT_INVOICED)), rule_run(rule(NOT_INVOICED))

    assert (first.opened, second.opened) == (1, 0)
    task = current_tasks(NOT_INVOICED)[OCTOBER]
    assert task.subject_label == "2026-10"
    assert task.facts == {"month": "2026-10-01", "count": 2}
    assert task.due_on == date(2026, 11, 3)
    assert rule(NOT_INVOICED).describe(task.facts) == (
        "2 sessions of October 2026 are not on an invoice: run the month's invoices."
    )

    invoices_generate(month=OCT)
    rule_run(rule(NOT_INVOICED))
    task = Task.objects.get(rule=NOT_INVOICED)
    assert (task.state, task.cause_ended_at is not None) == (TaskState.CLOSED, True)


def test_missed_sessions_past_the_payers_cap_do_not_keep_the_month_open():
    payer = PayerFactory(no_show_billing="payer", missed_sessions_billable_count=1)
    authorization = AuthorizationFactory(
        payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    fee = {"status": "no-show", "missed_session_fee_amount": Decimal("75.00")}
    session(authorization.client, date(2026, 10, 6), authorization=authorization, **fee)
    session(authorization.client, date(2026, 10, 13), authorization=authorization, **fee)
    rule_run(rule(NOT_INVOICED))
    assert current_tasks(NOT_INVOICED)[OCTOBER].facts["count"] == 2

    result = invoices_generate(month=OCT)

    assert result.lines_added_count == 1  # the second is over the cap: never billed
    rule_run(rule(NOT_INVOICED))
    assert current_tasks(NOT_INVOICED) == {}


def test_a_session_recorded_after_a_done_task_ended_opens_a_new_task(superuser):
    client = ClientFactory(kind=ClientKind.DIRECT)
    session(client, date(2026, 10, 6))
    rule_run(rule(NOT_INVOICED))
    mark_done(NOT_INVOICED, superuser)
    invoices_generate(month=OCT)
    rule_run(rule(NOT_INVOICED))
    assert Task.objects.get().state == TaskState.DONE

    session(client, date(2026, 10, 20))  # attendance recorded late
    rule_run(rule(NOT_INVOICED))

    assert Task.objects.count() == 2
    assert open_subjects(NOT_INVOICED) == {OCTOBER}
    assert current_tasks(NOT_INVOICED)[OCTOBER].facts["count"] == 1


def test_on_new_years_day_in_vancouver_the_month_is_december():
    client = ClientFactory(kind=ClientKind.DIRECT)
    session(client, date(2026, 12, 31), hour=20)  # after 04:00 UTC on the 1st
    session(client, date(2026, 11, 30))

    with time_machine.travel("2027-01-01 06:30 +00:00", tick=False):  # still 31 Dec here
        rule_run(rule(NOT_INVOICED))
    assert set(current_tasks(NOT_INVOICED)) == {202611}

    with time_machine.travel("2027-01-01 07:30 +00:00", tick=False):  # 00:30 on the 1st
        rule_run(rule(NOT_INVOICED))
    task = current_tasks(NOT_INVOICED)[202612]
    assert task.facts == {"month": "2026-12-01", "count": 1}
    assert task.due_on == date(2027, 1, 3)
    assert Task.objects.get(subject_id=202611).state == TaskState.CLOSED


def test_a_run_for_another_month_leaves_last_months_task_alone():
    session(ClientFactory(kind=ClientKind.DIRECT), date(2026, 10, 6))
    assert rule_run(rule(NOT_INVOICED), subject_ids=[202609]).opened == 0
    assert rule_run(rule(NOT_INVOICED), subject_ids=[OCTOBER]).opened == 1
    assert rule_run(rule(NOT_INVOICED), subject_ids=[202609]).ended == 0
    assert open_subjects(NOT_INVOICED) == {OCTOBER}


def test_on_a_months_first_day_last_month_is_asked_for():
    session(ClientFactory(kind=ClientKind.DIRECT), date(2026, 11, 30), hour=23)
    rule_run(rule(NOT_INVOICED), today=date(2026, 12, 1))
    assert set(current_tasks(NOT_INVOICED)) == {202611}
    assert current_tasks(NOT_INVOICED)[202611].due_on == date(2026, 12, 3)


# --- Last month's statements not sent ---------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def october_statements(count: int) -> list[Statement]:
    for _n in range(count):
        therapist = TherapistFactory()
        TherapistRateFactory(therapist=therapist)
        session(ClientFactory(primary_therapist=therapist), date(2026, 10, 6), paid_at=aware(OCT))
    statements_generate(month=OCT)
    return list(Statement.objects.filter(period_start=OCT).select_related("therapist"))


def test_drafts_after_the_statement_day_open_a_task_that_sending_closes(media):
    statements = october_statements(2)
    Statement.objects.filter(pk=statements[0].pk).update(
        status=StatementStatus.PAID, paid_on=date(2026, 11, 6), send_status=SendStatus.SENT
    )

    first, second = rule_run(rule(NOT_SENT)), rule_run(rule(NOT_SENT))

    assert (first.opened, second.opened) == (1, 0)
    task = current_tasks(NOT_SENT)[OCTOBER]
    assert task.facts == {"month": "2026-10-01", "count": 1}
    assert task.due_on == date(2026, 11, 5)
    assert rule(NOT_SENT).describe(task.facts) == (
        "1 statement of October 2026 is not sent: send it to the therapist."
    )

    result = statements_send(statements=Statement.objects.filter(status=StatementStatus.DRAFT))

    assert result.sent == 1
    rule_run(rule(NOT_SENT))
    task = Task.objects.get(rule=NOT_SENT)
    assert (task.state, task.cause_ended_at is not None) == (TaskState.CLOSED, True)


def test_until_the_statement_day_is_over_nothing_is_asked(media, settings):
    october_statements(1)
    rule_run(rule(NOT_SENT), today=date(2026, 11, settings.STATEMENT_DAY))
    assert current_tasks(NOT_SENT) == {}
    rule_run(rule(NOT_SENT), today=date(2026, 11, 1))
    assert current_tasks(NOT_SENT) == {}


def test_a_failed_statement_email_after_a_done_task_opens_a_new_one(media, superuser):
    [statement] = october_statements(1)
    rule_run(rule(NOT_SENT))
    mark_done(NOT_SENT, superuser)
    statements_send(statements=[statement])
    rule_run(rule(NOT_SENT))
    assert Task.objects.get().state == TaskState.DONE

    Statement.objects.filter(pk=statement.pk).update(send_status=SendStatus.FAILED)
    rule_run(rule(NOT_SENT))

    assert Task.objects.count() == 2
    assert open_subjects(NOT_SENT) == {OCTOBER}


def test_at_new_year_the_statements_asked_for_are_decembers(media):
    therapist = TherapistFactory()
    TherapistRateFactory(therapist=therapist)
    session(ClientFactory(primary_therapist=therapist), date(2026, 12, 8), paid_at=aware(DEC))
    statements_generate(month=DEC)

    rule_run(rule(NOT_SENT), today=date(2027, 1, 6))

    assert current_tasks(NOT_SENT)[202612].due_on == date(2027, 1, 5)
