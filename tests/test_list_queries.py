"""P1 in the suite: staff list pages run the same few queries however many rows there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.bench.measure import counts_big_table
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

PAGES = {
    "appointments": ("admin:scheduling_appointment_changelist", AppointmentFactory),
    "clients": ("admin:caseload_client_changelist", ClientFactory),
    "authorizations": ("admin:caseload_authorization_changelist", AuthorizationFactory),
    "statements": ("admin:payouts_statement_changelist", StatementFactory),
}


def queries_for(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return [q["sql"] for q in queries]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "params",
    [{}, {"q": "Lévesque"}, {"status__exact": "scheduled"}],
    ids=["plain", "searched", "filtered"],
)
def test_list_page_queries_are_few_and_constant(admin_client, page, params):
    url_name, factory = PAGES[page]
    url = reverse(url_name)
    if page != "appointments":
        params = {k: v for k, v in params.items() if k == "q"}
    admin_client.get(url)
    factory.create_batch(2)
    few = queries_for(admin_client, url, params)
    factory.create_batch(20)
    many = queries_for(admin_client, url, params)
    assert len(few) == len(many) <= 8, "\n".join(many)
    assert not [sql for sql in many if counts_big_table(sql, APPOINTMENT_TABLES)]


APPOINTMENT_TABLES = ["scheduling_appointment", "scheduling_appointment_clients"]


@pytest.mark.parametrize(
    ("sql", "flagged"),
    [
        ('SELECT COUNT(*) AS "__count" FROM "scheduling_appointment"', True),
        (
            'SELECT DISTINCT "scheduling_appointment"."starts_at" FROM "scheduling_appointment"',
            True,
        ),
        (
            'SELECT "c"."id", (SELECT COUNT(*) FROM "scheduling_appointment" U0) FROM "c"',
            True,
        ),
        (
            'SELECT "caseload_client"."id", COALESCE((SELECT COUNT(U0."id") AS "n" '
            'FROM "scheduling_appointment" U0 WHERE (U0."billing_client_id" = '
            '("caseload_client"."id"))), 0) FROM "caseload_client" LIMIT 50',
            False,
        ),
        ('SELECT COUNT(*) FROM "caseload_client"', False),
    ],
    ids=["full count", "distinct", "uncorrelated subquery", "per-row subquery", "small table"],
)
def test_p3_flags_full_counts_not_per_row_subqueries(sql, flagged):
    assert counts_big_table(sql, APPOINTMENT_TABLES) == flagged


def test_appointment_search_goes_through_the_clients_table(admin_client):
    match = AppointmentFactory(billing_client__last_name="Bélanger")
    AppointmentFactory(billing_client__last_name="Tremblay")
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"), {"q": "bélanger"}
    )
    assert [a.pk for a in response.context["cl"].result_list] == [match.pk]


@pytest.mark.parametrize("clients_named", [3, 60], ids=["rare name", "common name"])
def test_appointment_search_finds_every_match_newest_first(admin_client, clients_named):
    therapist = AppointmentFactory().therapist
    matches = [
        AppointmentFactory(therapist=therapist, billing_client__last_name="Bélanger")
        for _ in range(clients_named)
    ]
    AppointmentFactory(therapist=therapist, billing_client__last_name="Tremblay")
    url = reverse("admin:scheduling_appointment_changelist")
    listed = admin_client.get(url, {"q": "bélanger"}).context["cl"].result_list
    newest = sorted(matches, key=lambda a: a.starts_at, reverse=True)[:50]
    assert [a.pk for a in listed] == [a.pk for a in newest]
    oldest = admin_client.get(url, {"q": "bélanger", "o": "1"}).context["cl"].result_list
    assert [a.pk for a in oldest][:3] == [a.pk for a in matches[:3]]


def test_appointments_filter_by_payer(admin_client):
    covered = AppointmentFactory()
    covered.authorization = AuthorizationFactory(client=covered.billing_client)
    covered.save()
    other = AppointmentFactory()
    other.authorization = AuthorizationFactory(client=other.billing_client)
    other.save()
    AppointmentFactory()
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"),
        {"payer": covered.authorization.payer_id},
    )
    assert [a.pk for a in response.context["cl"].result_list] == [covered.pk]


def test_a_malformed_payer_filter_lists_nothing_rather_than_failing(admin_client):
    AppointmentFactory(authorization=None)
    AuthorizationFactory()
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"), {"payer": "1 OR 1=1"}
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
