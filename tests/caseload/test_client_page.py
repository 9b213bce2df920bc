"""A client's page lists that client's appointments, newest first, a page at a time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AppointmentFactory, ClientFactory

pytestmark = pytest.mark.django_db


def listed(admin_client, client):
    response = admin_client.get(reverse("admin:caseload_client_change", args=[client.pk]))
    (inline,) = [
        i for i in response.context["inline_admin_formsets"] if i.opts.fk_name == "billing_client"
    ]
    return [form.instance for form in inline.formset.forms]


def test_the_client_page_lists_their_appointments_newest_first(admin_client):
    client = ClientFactory()
    first = AppointmentFactory(billing_client=client, therapist=client.primary_therapist)
    later = AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        starts_at=first.starts_at + timedelta(weeks=1),
        ends_at=first.ends_at + timedelta(weeks=1),
    )
    AppointmentFactory()  # someone else's
    assert listed(admin_client, client) == [later, first]


def test_the_client_page_costs_the_same_with_a_long_history(admin_client):
    client = ClientFactory()
    url = reverse("admin:caseload_client_change", args=[client.pk])
    admin_client.get(url)
    counts = []
    for extra in (2, 25):
        AppointmentFactory.create_batch(
            extra, billing_client=client, therapist=client.primary_therapist
        )
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(url)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert len(listed(admin_client, client)) == 10
