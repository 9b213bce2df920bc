"""Payer limits at invoicing: sessions past an authorization's approved count or expiry are set
aside (never billed silently), listed with a decision staff record; sessions close to the
payer's submission deadline are listed before they can no longer be billed."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.billing.models import InvoiceLine, SetAsideDecision
from backoffice.billing.selectors import (
    authorization_usage,
    sessions_near_submission_deadline,
    sessions_set_aside,
)
from backoffice.billing.services import invoice_issue, invoices_generate
from backoffice.billing.services.set_aside import set_aside_decide
from tests.billing.conftest import MARCH, session_of
from tests.factories import AuthorizationFactory, PayerFactory, PayerRateFactory

pytestmark = pytest.mark.django_db

D = Decimal
VANCOUVER = ZoneInfo("America/Vancouver")
FEBRUARY, APRIL = date(2026, 2, 1), date(2026, 4, 1)


@pytest.fixture
def small_authorization(payer):
    return AuthorizationFactory(
        payer=payer,
        sessions_approved=2,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 3, 31),
        reference_number="CLM-SMALL",
    )


def sessions(authorization, *days, month=3):
    return [
        session_of(authorization.client, day=day, month=month, authorization=authorization)
        for day in days
    ]


def billed(appointment):
    return InvoiceLine.objects.filter(appointment=appointment, is_void=False).first()


def test_a_session_past_the_approved_count_is_set_aside_not_billed(small_authorization):
    first, second, third = sessions(small_authorization, 3, 10, 17)

    result = invoices_generate(month=MARCH)

    assert billed(first) and billed(second)
    assert billed(third) is None
    assert (
        "1 session(s) past their authorization's approved sessions or expiry were set aside"
        in " ".join(result.warnings)
    )
    [listed] = sessions_set_aside()
    assert (listed.appointment_id, listed.reason) == (third.pk, "over-approved")
    assert (listed.needed_sessions_approved, listed.payer_name) == (3, "Pacific Mutual")
    assert listed.client_name.startswith(small_authorization.client.last_name)


def test_a_session_after_the_expiry_is_set_aside(payer):
    authorization = AuthorizationFactory(
        payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 3, 15)
    )
    inside, after = sessions(authorization, 10, 20)

    invoices_generate(month=MARCH)

    assert billed(inside) and billed(after) is None
    [listed] = sessions_set_aside()
    assert (listed.appointment_id, listed.reason) == (after.pk, "after-expiry")
    assert listed.needed_valid_until == date(2026, 3, 20)


def test_earlier_unbilled_sessions_take_their_places_first(small_authorization):
    february = sessions(small_authorization, 20, month=2)[0]  # February was never run
    march = sessions(small_authorization, 3, 10)

    invoices_generate(month=MARCH)

    assert billed(march[0]) and billed(march[1]) is None
    assert [s.appointment_id for s in sessions_set_aside()] == [march[1].pk]
    invoices_generate(month=FEBRUARY)
    assert billed(february)


def test_bill_the_client_puts_the_session_on_the_clients_invoice(small_authorization, superuser):
    *_, third = sessions(small_authorization, 3, 10, 17)
    invoices_generate(month=MARCH)

    decision = set_aside_decide(
        appointment=third, outcome="bill-client", note="Client agreed", by=superuser
    )

    assert (decision.reason, decision.decided_by) == ("over-approved", superuser)
    assert decision.history.get().history_user == superuser
    assert sessions_set_aside() == []
    invoices_generate(month=MARCH)
    line = billed(third)
    assert line.invoice.bill_to_key == f"client:{small_authorization.client.pk}"
    assert (line.authorization, line.unit_amount) == (None, D("160.00"))  # the session fee
    assert authorization_usage(authorization=small_authorization).sessions_used_count == 2


def test_extend_raises_the_authorization_just_enough_and_the_payer_is_billed(
    small_authorization, superuser
):
    *_, third = sessions(small_authorization, 3, 10, 17)
    invoices_generate(month=MARCH)

    set_aside_decide(appointment=third, outcome="extend", by=superuser)

    small_authorization.refresh_from_db()
    assert small_authorization.sessions_approved == 3
    assert small_authorization.valid_until == date(2026, 3, 31)
    invoices_generate(month=MARCH)
    assert billed(third).invoice.payer == small_authorization.payer
    assert SetAsideDecision.objects.get().outcome == "extend"


def test_write_off_never_bills_the_session(small_authorization):
    *_, third = sessions(small_authorization, 3, 10, 17)
    invoices_generate(month=MARCH)

    set_aside_decide(appointment=third, outcome="write-off", note="Payer refused")

    invoices_generate(month=MARCH)
    assert billed(third) is None
    assert sessions_set_aside() == []
    usage = authorization_usage(authorization=small_authorization)
    assert (usage.sessions_used_count, usage.sessions_billed_count) == (2, 2)


def test_a_session_not_set_aside_cannot_be_decided(small_authorization):
    first, *_ = sessions(small_authorization, 3, 10)
    invoices_generate(month=MARCH)
    with pytest.raises(ValidationError, match="not set aside"):
        set_aside_decide(appointment=first, outcome="write-off")
    assert not SetAsideDecision.objects.exists()


# --- Submission deadlines ---------------------------------------------------------------------


@pytest.fixture
def deadline_payer(service_type):
    payer = PayerFactory(name="WorkSafe Example", submission_deadline_days=90)
    PayerRateFactory(payer=payer, service_type=service_type)
    return payer


@time_machine.travel(datetime(2026, 6, 20, 9, tzinfo=VANCOUVER))
def test_sessions_close_to_their_payers_deadline_are_listed_before_it_passes(deadline_payer):
    authorization = AuthorizationFactory(
        payer=deadline_payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    [issued] = sessions(authorization, 26)
    invoice_issue(invoice=invoices_generate(month=MARCH)[0], issued_on=date(2026, 6, 1))
    past, soon = sessions(authorization, 20, 25)
    [later] = sessions(authorization, 20, month=4)
    [draft] = invoices_generate(month=MARCH)  # a supplementary draft, not submitted yet

    listed = sessions_near_submission_deadline()

    # Deadlines, 90 days after: 20 Mar → 18 Jun (passed), 25 Mar → 23 Jun, 26 Mar → 24 Jun
    # (submitted), 20 Apr → 19 Jul (more than 14 days away).
    assert [(s.appointment_id, s.deadline, s.days_left) for s in listed] == [
        (soon.pk, date(2026, 6, 23), 3)
    ]
    assert listed[0].draft_invoice_id == draft.pk
    assert {past.pk, issued.pk, later.pk}.isdisjoint(s.appointment_id for s in listed)


# --- The admin pages ------------------------------------------------------------------------


SET_ASIDE_URL = reverse("admin:billing_invoice_set_aside")
DEADLINES_URL = reverse("admin:billing_invoice_deadlines")


def test_staff_decide_from_the_list_and_the_decision_is_recorded(
    admin_client, small_authorization, superuser
):
    *_, third = sessions(small_authorization, 3, 10, 17)
    invoices_generate(month=MARCH)
    page = admin_client.get(SET_ASIDE_URL)
    assert "CLM-SMALL" in page.content.decode()

    response = admin_client.post(
        SET_ASIDE_URL, {"appointment": third.pk, "outcome": "write-off", "note": "Too late"}
    )

    assert response.status_code == 302
    decision = SetAsideDecision.objects.get()
    assert (decision.appointment, decision.outcome, decision.decided_by) == (
        third,
        "write-off",
        superuser,
    )
    followed = admin_client.get(response.url)
    assert "No session is set aside." in followed.content.decode()
    assert admin_client.get(reverse("admin:billing_setasidedecision_changelist")).status_code == (
        200
    )


def test_read_only_staff_see_the_list_but_cannot_decide(client, roles, small_authorization):
    *_, third = sessions(small_authorization, 3, 10, 17)
    invoices_generate(month=MARCH)
    client.force_login(user_create(username="reader", role=Role.READ_ONLY))
    assert client.get(SET_ASIDE_URL).status_code == 200
    response = client.post(SET_ASIDE_URL, {"appointment": third.pk, "outcome": "write-off"})
    assert response.status_code == 403
    assert not SetAsideDecision.objects.exists()


@pytest.mark.parametrize("appointment", ["999999", "abc"])
def test_a_bad_session_id_changes_nothing(admin_client, appointment):
    response = admin_client.post(
        SET_ASIDE_URL, {"appointment": appointment, "outcome": "write-off"}
    )
    assert response.status_code in (302, 404)
    assert not SetAsideDecision.objects.exists()


@pytest.mark.parametrize("url", [SET_ASIDE_URL, DEADLINES_URL])
@time_machine.travel(datetime(2026, 4, 1, 9, tzinfo=VANCOUVER))
def test_the_lists_cost_the_same_queries_however_many_sessions(admin_client, payer, url):
    payer.submission_deadline_days = 30  # 3 and 10 March: due 2 and 9 April
    payer.save()

    def queries_for(count):
        for _ in range(count):
            authorization = AuthorizationFactory(
                payer=payer, sessions_approved=1, valid_from=date(2026, 1, 1)
            )
            sessions(authorization, 3, 10)
        invoices_generate(month=MARCH)
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(url)
        assert page.status_code == 200
        return len(queries), len(page.context["sessions"])

    admin_client.get(url)  # the first request of a session saves it
    few_queries, few_rows = queries_for(2)
    many_queries, many_rows = queries_for(10)
    assert few_queries == many_queries <= 10
    assert many_rows > few_rows
