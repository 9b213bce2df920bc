"""Room utilization: hours reserved from weekly blocks, hours held from completed in-person
sessions, the ratio, under-used rows, the Excel export, and queries that do not grow."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from backoffice.documents.spreadsheets import spreadsheet_safe
from backoffice.reports.selectors import last_full_month, room_utilization, weekday_count
from backoffice.scheduling.models import AppointmentStatus
from tests.factories import (
    AppointmentFactory,
    RoomFactory,
    RoomReservationFactory,
    SiteFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db

VANCOUVER = ZoneInfo("America/Vancouver")
# Two weeks, Monday 2 to Sunday 15 March 2026 (clocks change on the 8th).
PERIOD = {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 15)}
QUERY = {key: f"{value:%Y-%m-%d}" for key, value in PERIOD.items()}


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=VANCOUVER)


def session(therapist, room, starts_at, minutes=60, **kwargs):
    return AppointmentFactory(
        therapist=therapist,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        status=kwargs.pop("status", AppointmentStatus.COMPLETED),
        **kwargs,
    )


@pytest.fixture
def clinic():
    """Room 1: 4 h on Mondays reserved (8 h over the period), 3 h held (37.5 %).
    Room 2, at another site: one 2.5 h Wednesday in the period, 2.5 h held (100 %)."""
    site_a, site_b = SiteFactory(name="Broadway"), SiteFactory(name="North Shore")
    room_1, room_2 = RoomFactory(site=site_a, name="401"), RoomFactory(site=site_b, name="Cedar")
    t1 = TherapistFactory(first_name="Ann", last_name="Able")
    t2 = TherapistFactory(first_name="Ben", last_name="Baker")
    RoomReservationFactory(
        therapist=t1, room=room_1, weekday=0, start_time="09:00", end_time="13:00",
        valid_from=date(2026, 1, 1),
    )  # fmt: skip
    RoomReservationFactory(  # ended before the period
        therapist=t1, room=room_1, weekday=1, start_time="09:00", end_time="13:00",
        valid_from=date(2025, 1, 1), valid_until=date(2026, 2, 28),
    )  # fmt: skip
    RoomReservationFactory(  # starts mid-period: only Wednesday 11 March counts
        therapist=t2, room=room_2, weekday=2, start_time="14:00", end_time="16:30",
        valid_from=date(2026, 3, 10),
    )  # fmt: skip
    RoomReservationFactory(  # starts after the period
        therapist=t2, room=room_2, weekday=3, start_time="09:00", end_time="17:00",
        valid_from=date(2026, 3, 16),
    )  # fmt: skip
    monday, next_monday = date(2026, 3, 2), date(2026, 3, 9)
    session(t1, room_1, at(monday, 9))
    session(t1, room_1, at(next_monday, 9))
    session(t1, room_1, at(next_monday, 11))
    session(t1, room_1, at(monday, 10), status=AppointmentStatus.CANCELLED)
    session(t1, room_1, at(monday, 11), status=AppointmentStatus.NO_SHOW)
    session(t1, room_1, at(next_monday, 10), status=AppointmentStatus.SCHEDULED)
    session(t1, None, at(monday, 12), attendance="online")
    session(t1, room_1, at(date(2026, 3, 16), 9))  # after the period
    session(t1, room_1, at(date(2026, 3, 1), 9))  # before it
    session(t2, room_2, at(date(2026, 3, 11), 14), minutes=75)
    session(t2, room_2, at(date(2026, 3, 11), 14) + timedelta(minutes=75), minutes=75)
    return {"rooms": (room_1, room_2), "therapists": (t1, t2), "sites": (site_a, site_b)}


def figures(rows):
    return [
        (row.name, row.reserved_hours, row.held_hours, row.percent, row.underused) for row in rows
    ]


def test_reserved_held_and_utilization_per_site_room_and_therapist(clinic):
    report = room_utilization(**PERIOD, threshold=50)
    assert figures(report.rooms) == [
        ("401", Decimal("8.00"), Decimal("3.00"), Decimal("37.5"), True),
        ("Cedar", Decimal("2.50"), Decimal("2.50"), Decimal("100.0"), False),
    ]
    assert figures(report.therapists) == [
        ("Ann Able", Decimal("8.00"), Decimal("3.00"), Decimal("37.5"), True),
        ("Ben Baker", Decimal("2.50"), Decimal("2.50"), Decimal("100.0"), False),
    ]
    assert figures(report.sites) == [
        ("Broadway", Decimal("8.00"), Decimal("3.00"), Decimal("37.5"), True),
        ("North Shore", Decimal("2.50"), Decimal("2.50"), Decimal("100.0"), False),
    ]
    assert (report.total.reserved_hours, report.total.held_hours) == (
        Decimal("10.50"),
        Decimal("5.50"),
    )
    assert report.total.percent == Decimal("52.4")


def test_a_room_used_without_a_reservation_has_no_percent():
    room, therapist = RoomFactory(), TherapistFactory()
    session(therapist, room, at(date(2026, 3, 3), 9), minutes=50)
    [row] = room_utilization(**PERIOD).rooms
    assert (row.reserved_hours, row.held_hours, row.percent, row.underused) == (
        Decimal("0.00"), Decimal("0.83"), None, False,
    )  # fmt: skip


def test_weekday_count_includes_both_ends():
    assert weekday_count(weekday=0, date_from=date(2026, 3, 2), date_to=date(2026, 3, 16)) == 3
    assert weekday_count(weekday=6, date_from=date(2026, 3, 2), date_to=date(2026, 3, 7)) == 0
    assert weekday_count(weekday=2, date_from=date(2026, 3, 12), date_to=date(2026, 3, 10)) == 0


def test_default_period_is_the_last_full_month():
    assert last_full_month(date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert last_full_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_page_highlights_under_used_rows_below_the_setting(admin_client, clinic, settings):
    url = reverse("reports:utilization")
    settings.UNDERUSED_THRESHOLD_PERCENT = 50
    html = admin_client.get(url, QUERY).content.decode()
    assert (
        html.count('class="bg-red-50 dark:bg-red-500/20 underused"') == 3
    )  # site, room, therapist
    assert 'data-type="bar"' in html and "Broadway · 401" in html  # the chart's labels
    settings.UNDERUSED_THRESHOLD_PERCENT = 30
    html = admin_client.get(url, QUERY).content.decode()
    assert "underused" not in html


def test_page_defaults_to_the_last_full_month_and_refuses_a_reversed_period(admin_client):
    url = reverse("reports:utilization")
    report = admin_client.get(url).context["report"]
    assert (report.date_from, report.date_to) == last_full_month()
    response = admin_client.get(url, {"date_from": "2026-03-15", "date_to": "2026-03-01"})
    assert response.context["report"] is None
    assert "The period ends before it starts." in response.content.decode()


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("Côté", "Côté"), ("a=b", "a=b"), ("", ""),
        (" =1+1", "' =1+1"), ("\n=1+1", "'\n=1+1"), ("\u3000@x", "'\u3000@x"),
        ("＝1+1", "'＝1+1"), ("＋1", "'＋1"), ("－1", "'－1"), ("  Côté", "  Côté"),
        (Decimal("-1.50"), Decimal("-1.50")), (None, None),
    ],
)  # fmt: skip
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


def test_excel_export_holds_the_same_figures_with_formulas_escaped(admin_client, clinic):
    room_1, _ = clinic["rooms"]
    room_1.name = '=HYPERLINK("http://x.example","click")'
    room_1.save()
    t1, _ = clinic["therapists"]
    t1.first_name = "@SUM(1+1)"
    t1.save()
    response = admin_client.get(reverse("reports:utilization_export"), QUERY)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["Sites", "Rooms", "Therapists"]
    rooms = list(workbook["Rooms"].iter_rows(values_only=True))
    assert rooms[1] == (
        "Site",
        "Room",
        "Reserved hours",
        "Hours held",
        "Utilization %",
        "Under-used",
    )
    assert rooms[2:] == [
        ("Broadway", '\'=HYPERLINK("http://x.example","click")', 8, 3, 37.5, "yes"),
        ("North Shore", "Cedar", 2.5, 2.5, 100, None),
    ]
    therapists = list(workbook["Therapists"].iter_rows(values_only=True))
    assert therapists[2][0] == "'@SUM(1+1) Able"
    for sheet in workbook:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


@pytest.mark.parametrize("name", ["reports:utilization", "reports:utilization_export"])
def test_queries_do_not_grow_with_appointments(admin_client, clinic, name):
    url = reverse(name)
    admin_client.get(url, QUERY)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, QUERY).status_code == 200
        return [q["sql"] for q in captured]

    few = queries()
    t1, t2 = clinic["therapists"]
    room_1, room_2 = clinic["rooms"]
    for day in range(2, 14):
        for therapist, room in ((t1, room_1), (t2, room_2), (TherapistFactory(), RoomFactory())):
            session(therapist, room, at(date(2026, 3, day), 18))
    many = queries()
    assert len(few) == len(many) <= 6, "\n".join(many)
