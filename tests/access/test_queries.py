"""Recording never slows a page down: one INSERT per recorded request, nothing on a page that
shows no client's information, and one INSERT for an export whatever number of clients."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.access.models import AccessRecord
from tests.factories import AppointmentFactory, ClientFactory, SessionLineFactory

pytestmark = pytest.mark.django_db

RECORDING = "backoffice.access.middleware.AccessLogMiddleware"


def queries(user, method, url, data=None, *, recording=True):
    """The SQL of one request (after a first one filled the per-process caches), from a new test
    client: a client keeps the middleware it loaded first."""
    names = [name for name in settings.MIDDLEWARE if recording or name != RECORDING]
    with override_settings(MIDDLEWARE=names):
        browser = Client()
        browser.force_login(user)
        getattr(browser, method)(url, data or {})
        with CaptureQueriesContext(connection) as captured:
            response = getattr(browser, method)(url, data or {})
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def unrecorded(user, method, url, data=None):
    return queries(user, method, url, data, recording=False)


def writes(sql):
    table = AccessRecord._meta.db_table
    return [query for query in sql if table in query]


def test_a_client_record_costs_one_query_more(superuser):
    url = reverse("admin:caseload_client_change", args=[ClientFactory().pk])
    before = unrecorded(superuser, "get", url)
    recorded = queries(superuser, "get", url)
    assert len(recorded) == len(before) + 1
    assert len(writes(recorded)) == 1 and writes(recorded)[0].startswith("INSERT")


def test_the_appointment_list_of_a_client_costs_one_query_more(superuser):
    appointment = AppointmentFactory()
    url = reverse("admin:scheduling_appointment_changelist")
    params = {"billing_client__id__exact": appointment.billing_client_id}
    before = unrecorded(superuser, "get", url, params)
    recorded = queries(superuser, "get", url, params)
    assert len(recorded) == len(before) + 1
    assert len(writes(recorded)) == 1


def test_a_list_showing_no_client_s_record_costs_nothing(superuser):
    ClientFactory.create_batch(3)
    url = reverse("admin:caseload_client_changelist")
    assert len(queries(superuser, "get", url)) == len(unrecorded(superuser, "get", url))
    assert not AccessRecord.objects.exists()


@pytest.mark.parametrize("clients", [1, 6])
def test_an_export_writes_every_client_in_one_insert(superuser, clients):
    invoices = [SessionLineFactory().invoice_id for _ in range(clients)]
    data = {"action": "export_xlsx", "_selected_action": invoices}
    url = reverse("admin:billing_invoice_changelist")
    before = unrecorded(superuser, "post", url, data)
    recorded = queries(superuser, "post", url, data)
    assert len(recorded) == len(before) + 1
    assert len(writes(recorded)) == 1
    assert AccessRecord.objects.count() == 2 * clients  # the first request, then the measured one
