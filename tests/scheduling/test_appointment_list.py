"""The appointment list opens on today's appointments by time; upcoming and past ones are a
click away, and a search or a filter looks at all of them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory, ClientFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:scheduling_appointment_changelist")
VANCOUVER = ZoneInfo("America/Vancouver")


def at(day: int, hour: int, month: int = 3, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VANCOUVER)


@pytest.fixture
def noon(time_machine):
    """Tuesday 2 March 2027, noon in Vancouver, from before the staff member signs in."""
    time_machine.move_to(at(2, 12), tick=False)


@pytest.fixture
def week():
    client = ClientFactory(last_name="Tremblay")
    starts = {
        "yesterday": at(1, 9),
        "this morning": at(2, 8),
        "late tonight": at(2, 23),
        "tomorrow": at(3, 0),
        "next year": at(2, 10, year=2028),
    }
    appointments = {name: AppointmentFactory(starts_at=when) for name, when in starts.items()}
    appointments["client's"] = AppointmentFactory(billing_client=client, starts_at=at(1, 15))
    return appointments, client


def shown(admin_client, **params):
    response = admin_client.get(LIST_URL, params)
    return list(response.context["cl"].result_list)


def test_the_list_opens_on_today_by_time(noon, admin_client, week):
    appointments, _client = week
    assert shown(admin_client) == [appointments["this morning"], appointments["late tonight"]]


def test_upcoming_and_past_are_a_click_away(noon, admin_client, week):
    appointments, _client = week
    assert shown(admin_client, when="upcoming") == [
        appointments["late tonight"],
        appointments["tomorrow"],
        appointments["next year"],
    ]
    assert shown(admin_client, when="past") == [
        appointments["this morning"],
        appointments["client's"],
        appointments["yesterday"],
    ]
    assert len(shown(admin_client, when="all")) == 6


def test_a_filter_or_a_search_looks_at_every_day(noon, admin_client, week):
    appointments, client = week
    assert shown(admin_client, billing_client__id__exact=client.pk) == [appointments["client's"]]
    assert shown(admin_client, q="Tremblay") == [appointments["client's"]]
    assert shown(admin_client, starts_at_from="2027-03-03", starts_at_to="2027-03-03") == [
        appointments["tomorrow"]
    ]
