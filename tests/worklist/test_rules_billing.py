"""The billing rules: overdue invoices, payers' submission deadlines, sessions set aside at
invoicing and direct clients with unpaid sessions. Each opens one task per subject, closes it
when billing's own services resolve the cause, and opens a new one when the cause returns."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.accounts.models import Role
from backoffice.billing.models import Invoice, session_client_total
from backoffice.billing.selectors import (
    ClientStatus,
    client_status,
    sessions_near_submission_deadline,
    sessions_set_aside,
)
from backoffice.billing.services import (
    invoice_credit,
    invoice_issue,
    invoice_void,
    invoices_generate,
)
from backoffice.billing.services.payments import payment_allocate, payment_record
from backoffice.billing.services.set_aside import set_aside_decide
from backoffice.caseload.models import ClientKind
from backoffice.worklist.models import Priority, RuleKey, Task, TaskState
from backoffice.worklist.rules import RULES
from backoffice.worklist.services import rule_run, tasks_mark_done, worklist_event
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    IssuedInvoiceFactory,
    PayerFactory,
    PayerRateFactory,
    PaymentFactory,
    ServiceTypeFactory,
    SessionLineFactory,
)
from tests.worklist.conftest import current_tasks, open_subjects, rule

pytestmark = pytest.mark.django_db

D = Decimal
OVERDUE = RuleKey.INVOICE_OVERDUE
DEADLINE = RuleKey.SUBMISSION_DEADLINE
SET_ASIDE = RuleKey.SESSIONS_SET_ASIDE
UNPAID = RuleKey.DIRECT_CLIENT_UNPAID
BILLING_RULES = (OVERDUE, DEADLINE, SET_ASIDE, UNPAID)


def run(key):
    return rule_run(rule(key))


def session(client, day: date, *, authorization=None, status="completed", **kwargs):
    """A session of `client` at 10:00 Vancouver on `day`."""
    return AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        authorization=authorization,
        starts_at=timezone.make_aware(datetime(day.year, day.month, day.day, 10)),
        status=status,
        **kwargs,
    )


def test_the_billing_rules_are_registered_for_finance():
    assert {key: RULES[key].team for key in BILLING_RULES} == dict.fromkeys(
        BILLING_RULES, Role.FINANCE
    )


# --- Invoice overdue --------------------------------------------------------------------------


def overdue_invoice(today, days=10, **kwargs):
    return IssuedInvoiceFactory(due_on=today - timedelta(days=days), **kwargs)


def test_an_issued_invoice_past_its_due_date_opens_one_task(today):
    invoice = overdue_invoice(today, payer=PayerFactory(name="Pacific Mutual"))
    first, second = run(OVERDUE), run(OVERDUE)

    assert (first.opened, second.opened, second.ended) == (1, 0, 0)
    task = current_tasks(OVERDUE)[invoice.pk]
    assert task.subject_label == f"{invoice.number} · Pacific Mutual"
    assert (task.due_on, task.priority) == (invoice.due_on, Priority.NORMAL)
    assert task.facts == {"number": invoice.number, "open": "300.00", "due": "2026-11-08"}
    assert RULES[OVERDUE].describe(task.facts) == (
        "$300.00 still open, 10 days overdue: follow up on the payment."
    )


def test_a_direct_clients_invoice_is_labelled_with_the_client(today):
    client = ClientFactory(first_name="Marie", last_name="Tremblay")
    invoice = IssuedInvoiceFactory(payer=None, client=client, due_on=today - timedelta(days=1))
    run(OVERDUE)
    assert current_tasks(OVERDUE)[invoice.pk].subject_label == f"{invoice.number} · Marie Tremblay"


def test_only_issued_invoices_with_money_open_past_their_due_date(today):
    overdue = overdue_invoice(today)
    overdue_invoice(today, days=0)  # due today: not overdue yet
    overdue_invoice(today, status="draft", number=None)
    overdue_invoice(today, status="void")
    overdue_invoice(today, paid_amount=D("300.00"))
    overdue_invoice(today, kind="credit-note", total_amount=D("-300.00"))
    run(OVERDUE)
    assert open_subjects(OVERDUE) == {overdue.pk}


@pytest.mark.parametrize(("days", "priority"), [(60, Priority.NORMAL), (61, Priority.HIGH)])
def test_high_priority_past_60_days_overdue(today, days, priority):
    invoice = overdue_invoice(today, days=days)
    run(OVERDUE)
    assert current_tasks(OVERDUE)[invoice.pk].priority == priority


def test_an_overdue_task_is_not_rewritten_each_day_it_stays_overdue(today, time_machine):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    time_machine.move_to(timezone.now() + timedelta(days=1))
    assert run(OVERDUE).refreshed == 0
    task = current_tasks(OVERDUE)[invoice.pk]
    assert "11 days overdue" in RULES[OVERDUE].describe(task.facts)


def test_paying_part_keeps_the_task_with_what_is_still_open(today):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    pay(invoice, D("100.00"))
    run(OVERDUE)
    assert current_tasks(OVERDUE)[invoice.pk].facts["open"] == "200.00"


def pay(invoice, amount):
    return payment_record(
        payer=invoice.payer,
        amount=amount,
        received_on=timezone.localdate(),
        method="cheque",
        allocations=[(invoice, amount)],
    )


def test_paid_in_full_closes_the_task(today):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    pay(invoice, D("300.00"))
    assert run(OVERDUE).ended == 1
    task = Task.objects.get(rule=OVERDUE)
    assert task.state == TaskState.CLOSED


def test_a_payment_event_closes_the_task_of_the_invoices_it_pays(today):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    payment = pay(invoice, D("300.00"))
    worklist_event(model_label="billing.payment", pk=payment.pk)
    assert open_subjects(OVERDUE) == set()


def test_a_committed_payment_closes_the_task_in_the_worker(
    today, django_capture_on_commit_callbacks
):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoice, D("300.00"))
    assert open_subjects(OVERDUE) == set()


def test_an_allocation_event_closes_the_task_of_its_invoice(today):
    invoice = overdue_invoice(today)
    worklist_event(model_label="billing.invoice", pk=invoice.pk)
    assert open_subjects(OVERDUE) == {invoice.pk}
    allocation = payment_allocate(
        payment=PaymentFactory(payer=invoice.payer), invoice=invoice, amount=D("300.00")
    )
    worklist_event(model_label="billing.paymentallocation", pk=allocation.pk)
    assert open_subjects(OVERDUE) == set()


def test_voiding_the_invoice_closes_the_task(today):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    invoice_void(invoice=invoice, reason="Billed the wrong payer")
    worklist_event(model_label="billing.invoice", pk=invoice.pk)
    assert open_subjects(OVERDUE) == set()


def test_crediting_the_invoice_closes_the_task_at_the_next_sweep(today):
    invoice = overdue_invoice(today, total_amount=D("150.00"))
    SessionLineFactory(invoice=invoice)
    run(OVERDUE)
    invoice_credit(invoice=invoice, reason="Duplicate claim")
    assert run(OVERDUE).ended == 1
    assert open_subjects(OVERDUE) == set()


def test_a_done_overdue_task_stays_done_and_a_new_one_opens_when_the_balance_returns(
    today, superuser
):
    invoice = overdue_invoice(today)
    run(OVERDUE)
    tasks_mark_done(tasks=Task.objects.filter(rule=OVERDUE), by=superuser, note="Called them.")
    run(OVERDUE)
    assert current_tasks(OVERDUE)[invoice.pk].state == TaskState.DONE

    pay(invoice, D("300.00"))
    run(OVERDUE)
    assert current_tasks(OVERDUE) == {}
    # The cheque bounced: no service takes money back yet, so the balance comes back as data.
    Invoice.objects.filter(pk=invoice.pk).update(paid_amount=D("0.00"))
    run(OVERDUE)
    assert Task.objects.filter(rule=OVERDUE).count() == 2
    assert open_subjects(OVERDUE) == {invoice.pk}


# --- Submission deadline ----------------------------------------------------------------------


@pytest.fixture
def deadline_authorization():
    """A payer with a 90-day submission deadline: on 18 November, sessions of 20 August to
    3 September are due within 14 days."""
    service_type = ServiceTypeFactory()
    payer = PayerFactory(name="WorkSafe Example", submission_deadline_days=90)
    PayerRateFactory(payer=payer, service_type=service_type)
    authorization = AuthorizationFactory(
        payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    authorization.service_type = service_type
    return authorization


def deadline_session(authorization, day):
    return session(
        authorization.client,
        day,
        authorization=authorization,
        service_type=authorization.service_type,
    )


def test_sessions_near_the_deadline_open_one_task_per_payer(today, deadline_authorization):
    payer = deadline_authorization.payer
    for day in (date(2026, 8, 22), date(2026, 9, 1), date(2026, 8, 19), date(2026, 9, 5)):
        deadline_session(deadline_authorization, day)  # 19 Aug: passed; 5 Sep: not yet

    first, second = run(DEADLINE), run(DEADLINE)

    assert (first.opened, second.opened) == (1, 0)
    task = current_tasks(DEADLINE)[payer.pk]
    assert task.subject_label == "WorkSafe Example"
    assert task.facts == {"count": 2, "deadline": "2026-11-20"}
    assert (task.due_on, task.priority) == (date(2026, 11, 20), Priority.HIGH)
    assert task.facts["count"] == len(sessions_near_submission_deadline())
    assert RULES[DEADLINE].describe(task.facts).startswith("2 sessions must be submitted")


def test_a_deadline_more_than_3_days_away_is_normal_priority(today, deadline_authorization):
    deadline_session(deadline_authorization, date(2026, 9, 1))
    run(DEADLINE)
    task = current_tasks(DEADLINE)[deadline_authorization.payer.pk]
    assert (task.due_on, task.priority) == (date(2026, 11, 30), Priority.NORMAL)


def test_payers_without_a_deadline_have_no_task(today, deadline_authorization):
    other = AuthorizationFactory(valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
    session(other.client, date(2026, 8, 22), authorization=other)
    run(DEADLINE)
    assert open_subjects(DEADLINE) == set()


def issue_august(payer):
    [invoice] = invoices_generate(month=date(2026, 8, 1))
    return invoice_issue(invoice=invoice)


def test_issuing_the_invoice_closes_the_task_through_its_event(today, deadline_authorization):
    deadline_session(deadline_authorization, date(2026, 8, 22))
    run(DEADLINE)
    assert open_subjects(DEADLINE) == {deadline_authorization.payer.pk}

    invoice = issue_august(deadline_authorization.payer)
    worklist_event(model_label="billing.invoice", pk=invoice.pk)

    assert open_subjects(DEADLINE) == set()
    assert Task.objects.get(rule=DEADLINE).state == TaskState.CLOSED


def test_a_done_deadline_task_gives_way_to_a_new_one_when_sessions_come_near_again(
    today, deadline_authorization, superuser
):
    payer = deadline_authorization.payer
    deadline_session(deadline_authorization, date(2026, 8, 22))
    run(DEADLINE)
    tasks_mark_done(tasks=Task.objects.filter(rule=DEADLINE), by=superuser)
    issue_august(payer)
    run(DEADLINE)
    assert current_tasks(DEADLINE) == {}

    deadline_session(deadline_authorization, date(2026, 9, 2))  # recorded late, not submitted
    run(DEADLINE)
    assert Task.objects.filter(rule=DEADLINE).count() == 2
    assert open_subjects(DEADLINE) == {payer.pk}


# --- Sessions set aside -----------------------------------------------------------------------


@pytest.fixture
def small_authorization():
    """Two sessions approved; three in October, invoiced on 3 November: one set aside."""
    service_type = ServiceTypeFactory()
    payer = PayerFactory(name="Pacific Mutual")
    PayerRateFactory(payer=payer, service_type=service_type)
    authorization = AuthorizationFactory(
        payer=payer,
        sessions_approved=2,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        reference_number="CLM-SMALL",
    )
    authorization.service_type = service_type
    return authorization


def set_aside_sessions(authorization, *days):
    sessions = [
        session(
            authorization.client,
            day,
            authorization=authorization,
            service_type=authorization.service_type,
        )
        for day in days
    ]
    invoices_generate(month=date(2026, 10, 1))
    return sessions


OCTOBER_DAYS = (date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19))


def test_sessions_set_aside_open_one_task_per_authorization(today, small_authorization):
    set_aside_sessions(small_authorization, *OCTOBER_DAYS, date(2026, 10, 26))

    first, second = run(SET_ASIDE), run(SET_ASIDE)

    assert (first.opened, second.opened) == (1, 0)
    task = current_tasks(SET_ASIDE)[small_authorization.pk]
    client = small_authorization.client
    assert task.subject_label == f"{client.full_name} · Pacific Mutual CLM-SMALL"
    assert (task.due_on, task.facts) == (today, {"count": 2, "reasons": ["over-approved"]})
    assert task.facts["count"] == len(sessions_set_aside())
    assert (
        RULES[SET_ASIDE]
        .describe(task.facts)
        .startswith("2 sessions set aside (Past the approved sessions)")
    )


def test_deciding_every_session_closes_the_task_through_its_event(today, small_authorization):
    *_, third = set_aside_sessions(small_authorization, *OCTOBER_DAYS)
    run(SET_ASIDE)

    decision = set_aside_decide(appointment=third, outcome="write-off", note="Payer refused")
    worklist_event(model_label="billing.setasidedecision", pk=decision.pk)

    assert open_subjects(SET_ASIDE) == set()
    assert Task.objects.get(rule=SET_ASIDE).state == TaskState.CLOSED


def test_extending_the_authorization_closes_the_task(today, small_authorization):
    *_, third = set_aside_sessions(small_authorization, *OCTOBER_DAYS)
    run(SET_ASIDE)
    set_aside_decide(appointment=third, outcome="extend")
    assert run(SET_ASIDE).ended == 1


def test_a_done_set_aside_task_gives_way_to_a_new_one_for_a_later_session(
    today, small_authorization, superuser
):
    *_, third = set_aside_sessions(small_authorization, *OCTOBER_DAYS)
    run(SET_ASIDE)
    tasks_mark_done(tasks=Task.objects.filter(rule=SET_ASIDE), by=superuser)
    run(SET_ASIDE)
    assert current_tasks(SET_ASIDE)[small_authorization.pk].state == TaskState.DONE

    set_aside_decide(appointment=third, outcome="bill-client")
    run(SET_ASIDE)
    assert current_tasks(SET_ASIDE) == {}

    session(
        small_authorization.client,
        date(2026, 11, 2),
        authorization=small_authorization,
        service_type=small_authorization.service_type,
    )
    run(SET_ASIDE)
    assert Task.objects.filter(rule=SET_ASIDE).count() == 2
    assert open_subjects(SET_ASIDE) == {small_authorization.pk}


def test_no_set_aside_task_before_the_first_invoice_run(today, small_authorization):
    for day in OCTOBER_DAYS:
        session(small_authorization.client, day, authorization=small_authorization)
    run(SET_ASIDE)
    assert open_subjects(SET_ASIDE) == set()


# --- Direct client unpaid ---------------------------------------------------------------------


@pytest.fixture
def direct_client():
    return ClientFactory(kind=ClientKind.DIRECT, first_name="Marie", last_name="Tremblay")


def unpaid_sessions(client, count):
    return [session(client, date(2026, 11, 2 + day)) for day in range(count)]


def take_payment(client, *sessions):
    return payment_record(
        client=client,
        amount=sum((session_client_total(s) for s in sessions), D(0)),
        received_on=timezone.localdate(),
        method="card",
        sessions=sessions,
        send_receipt=False,
    )


def test_a_direct_client_with_two_unpaid_sessions_opens_one_task_as_the_colour_turns_red(
    today, direct_client
):
    unpaid_sessions(direct_client, 2)
    first, second = run(UNPAID), run(UNPAID)

    assert (first.opened, second.opened) == (1, 0)
    task = current_tasks(UNPAID)[direct_client.pk]
    assert (task.subject_label, task.due_on, task.facts) == ("Marie Tremblay", today, {"count": 2})
    assert client_status(client=direct_client) == ClientStatus.RED
    assert RULES[UNPAID].describe(task.facts) == ("2 unpaid sessions: take a payment or follow up.")


def test_one_unpaid_session_or_an_indirect_client_has_no_task(today, direct_client):
    unpaid_sessions(direct_client, 1)
    session(direct_client, date(2026, 11, 9), paid_at=timezone.now())
    session(direct_client, date(2026, 11, 10), status="scheduled")
    indirect = ClientFactory(kind=ClientKind.INDIRECT)
    unpaid_sessions(indirect, 2)  # no authorization: billed to nobody
    run(UNPAID)
    assert open_subjects(UNPAID) == set()
    assert client_status(client=direct_client) == ClientStatus.NORMAL


def test_a_payment_covering_the_sessions_closes_the_task_through_its_event(today, direct_client):
    sessions = unpaid_sessions(direct_client, 3)
    worklist_event(model_label="scheduling.appointment", pk=sessions[0].pk)
    assert open_subjects(UNPAID) == {direct_client.pk}

    payment = take_payment(direct_client, *sessions[:2])
    worklist_event(model_label="billing.payment", pk=payment.pk)

    assert open_subjects(UNPAID) == set()
    assert Task.objects.get(rule=UNPAID).state == TaskState.CLOSED
    assert client_status(client=direct_client) == ClientStatus.NORMAL


def test_a_done_unpaid_task_gives_way_to_a_new_one_when_sessions_go_unpaid_again(
    today, direct_client, superuser
):
    sessions = unpaid_sessions(direct_client, 2)
    run(UNPAID)
    tasks_mark_done(tasks=Task.objects.filter(rule=UNPAID), by=superuser)
    take_payment(direct_client, *sessions)
    run(UNPAID)
    assert current_tasks(UNPAID) == {}

    session(direct_client, date(2026, 11, 12))
    session(direct_client, date(2026, 11, 16))
    run(UNPAID)
    assert Task.objects.filter(rule=UNPAID).count() == 2
    assert open_subjects(UNPAID) == {direct_client.pk}
