"""Client pickers: namesakes told apart by date of birth and file number, and "Last, First"
found as the lists show names."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory, ClientFactory

pytestmark = pytest.mark.django_db


def picked(admin_client, term):
    """The choices the appointment form's billing-client picker offers for `term`."""
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": term,
            "app_label": "scheduling",
            "model_name": "appointment",
            "field_name": "billing_client",
        },
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_namesakes_are_told_apart_by_date_of_birth_and_file_number(admin_client):
    older = ClientFactory(first_name="Marie", last_name="Tremblay", date_of_birth=date(1961, 2, 3))
    younger = ClientFactory(
        first_name="Marie", last_name="Tremblay", date_of_birth=date(1994, 7, 8)
    )

    assert sorted(picked(admin_client, "Marie Tremblay")) == [
        f"Tremblay, Marie · 1961-02-03 · #{older.pk}",
        f"Tremblay, Marie · 1994-07-08 · #{younger.pk}",
    ]
    assert picked(admin_client, f"#{younger.pk}") == [
        f"Tremblay, Marie · 1994-07-08 · #{younger.pk}"
    ]


def test_last_comma_first_finds_the_client_as_lists_show_names(admin_client):
    marie = ClientFactory(first_name="Marie", last_name="Tremblay", date_of_birth=date(1961, 2, 3))
    ClientFactory(first_name="Tremblay", last_name="Marie")  # the other way round
    ClientFactory(first_name="Luc", last_name="Tremblay")

    assert picked(admin_client, "Tremblay, Marie") == [
        f"Tremblay, Marie · 1961-02-03 · #{marie.pk}"
    ]
    assert picked(admin_client, "tremblay, ma") == [f"Tremblay, Marie · 1961-02-03 · #{marie.pk}"]


def test_a_chosen_client_shows_the_same_label_in_the_form(admin_client):
    appointment = AppointmentFactory(
        billing_client=ClientFactory(
            first_name="Marie", last_name="Tremblay", date_of_birth=date(1961, 2, 3)
        )
    )

    page = admin_client.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk]))

    client = appointment.billing_client
    assert f"Tremblay, Marie · 1961-02-03 · #{client.pk}" in page.content.decode()
