"""The week view: one therapist's or room's Vancouver week, linked, in a few queries."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.reports.selectors import week_appointments, week_grid
from backoffice.scheduling.models import AppointmentStatus
from tests.factories import (
    AppointmentFactory,
    RoomFactory,
    RoomReservationFactory,
    TherapistFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VANCOUVER = ZoneInfo("America/Vancouver")
URL = "reports:week"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VANCOUVER)


def booked(therapist, room, starts_at, **kwargs):
    return AppointmentFactory(
        therapist=therapist,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        **kwargs,
    )


@pytest.mark.parametrize(
    "monday",
    [date(2026, 2, 9), date(2026, 3, 2), date(2026, 10, 26)],
    ids=["plain week", "spring-forward week", "fall-back week"],
)
def test_exactly_the_weeks_appointments_of_that_therapist_and_room(monday):
    therapist, other_therapist = TherapistFactory(), TherapistFactory()
    room, other_room = RoomFactory(), RoomFactory()
    sunday = monday + timedelta(days=6)  # the clocks change on the Sunday at 02:00
    inside = [
        booked(therapist, room, at(monday, 0)),  # the week's first Vancouver minute
        booked(therapist, room, at(sunday, 9)),  # after the change
        booked(therapist, room, at(sunday, 23, 5)),  # its last hour
    ]
    online = booked(therapist, None, at(monday, 14), attendance="online")
    # Just outside, on both sides; and the same week for someone else, elsewhere.
    booked(therapist, room, at(monday - timedelta(days=1), 23))
    booked(therapist, room, at(sunday + timedelta(days=1), 0))
    booked(other_therapist, other_room, at(monday, 10))

    by_therapist = week_appointments(therapist=therapist, week_start=monday)
    expected = sorted([*inside, online], key=lambda a: a.starts_at)
    assert [a.pk for a in by_therapist] == [a.pk for a in expected]
    by_room = week_appointments(room=room, week_start=monday)
    assert [a.pk for a in by_room] == [a.pk for a in inside]


def test_grid_places_each_appointment_in_its_local_day_and_hour_and_shades_reservations():
    monday = date(2026, 3, 9)  # DST starts Sunday 8 March; this week is all PDT
    therapist, room = TherapistFactory(), RoomFactory()
    RoomReservationFactory(
        therapist=therapist,
        room=room,
        weekday=1,
        start_time="09:00",
        end_time="13:00",
        valid_from=date(2026, 1, 1),
    )
    RoomReservationFactory(  # ended before this week: not shaded
        therapist=therapist,
        room=room,
        weekday=2,
        start_time="09:00",
        end_time="13:00",
        valid_from=date(2025, 1, 1),
        valid_until=date(2026, 3, 1),
    )
    appointment = booked(therapist, room, at(monday + timedelta(days=1), 10))
    grid = week_grid(therapist=therapist, week_start=monday + timedelta(days=3))
    assert grid.week_start == monday
    cells = {(cell.day, cell.hour): cell for row in grid.rows for cell in row.cells}
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    assert [e.appointment.pk for e in cells[tuesday, 10].entries] == [appointment.pk]
    assert [h for (d, h), c in cells.items() if d == tuesday and c.reservations] == [9, 10, 11, 12]
    assert not any(c.reservations for (d, _), c in cells.items() if d == wednesday)


def test_page_links_each_appointment_and_pages_by_week(admin_client):
    monday = date(2026, 3, 2)
    therapist, room = TherapistFactory(), RoomFactory()
    appointment = booked(
        therapist,
        room,
        at(monday, 9),
        billing_client__first_name="Zoé",
        status=AppointmentStatus.NO_SHOW,
    )
    response = admin_client.get(reverse(URL), {"therapist": therapist.pk, "week": "2026-03-04"})
    assert response.status_code == 200
    html = response.content.decode()
    change_url = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    assert f'href="{change_url}"' in html
    assert admin_client.get(change_url).status_code == 200
    assert "Zoé" in html
    assert "week=2026-02-23" in html and "week=2026-03-09" in html
    assert "bg-red-100" in html  # the no-show's colour
    assert reverse("reports:utilization") in html  # the admin sidebar


def test_client_names_only_for_staff_who_may_see_clients(client, roles):
    from backoffice.accounts.models import Role

    therapist, room = TherapistFactory(), RoomFactory()
    booked(therapist, room, at(date(2026, 3, 2), 9), billing_client__first_name="Zoé")
    viewer = UserFactory(is_staff=True)
    viewer.groups.add(roles[Role.READ_ONLY])
    viewer.user_permissions.clear()
    client.force_login(viewer)
    url, params = reverse(URL), {"room": room.pk, "week": "2026-03-02"}
    assert "Zoé" in client.get(url, params).content.decode()
    roles[Role.READ_ONLY].permissions.remove(
        *roles[Role.READ_ONLY].permissions.filter(codename="view_client")
    )
    viewer = type(viewer).objects.get(pk=viewer.pk)  # drop the permission cache
    client.force_login(viewer)
    html = client.get(url, params).content.decode()
    assert "Zoé" not in html and "Individual session" in html


def test_not_for_therapists(client):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    response = client.get(reverse(URL), {"therapist": therapist.pk})
    assert response.status_code == 302  # to the admin sign-in


@pytest.mark.parametrize("by", ["therapist", "room"])
def test_queries_do_not_grow_with_history_or_the_weeks_rows(admin_client, by):
    monday = date(2026, 3, 2)
    therapist, room = TherapistFactory(), RoomFactory()
    RoomReservationFactory(therapist=therapist, room=room)
    params = {by: (therapist if by == "therapist" else room).pk, "week": "2026-03-02"}
    url = reverse(URL)
    admin_client.get(url, params)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, params).status_code == 200
        return [q["sql"] for q in captured]

    booked(therapist, room, at(monday, 9))
    few = queries()
    for week in range(1, 30):  # years of history in other weeks
        booked(therapist, room, at(monday - timedelta(weeks=week), 9))
    for hour in range(10, 18):
        booked(therapist, room, at(monday + timedelta(days=2), hour))
    many = queries()
    assert len(few) == len(many) <= 8, "\n".join(many)
