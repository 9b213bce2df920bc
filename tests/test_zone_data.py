"""Vancouver time comes from the tzdata package, not from the host's (possibly stale) files."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models.functions import TruncDate
from django.utils import timezone

from backoffice.scheduling.models import Appointment
from backoffice.zone_data import zone_file

VANCOUVER_FROM_TZDATA = ZoneInfo.from_file(zone_file("America/Vancouver").open("rb"))


def hours(start: datetime, end: datetime, step: timedelta = timedelta(hours=5)):
    while start < end:
        yield start
        start += step


def test_the_zone_in_use_is_the_tzdata_packages():
    # Fails on a host whose zone files disagree with the package, unless the package wins.
    zone = timezone.get_default_timezone()
    for moment in hours(datetime(2024, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)):
        assert (
            moment.astimezone(zone).utcoffset()
            == moment.astimezone(VANCOUVER_FROM_TZDATA).utcoffset()
        ), moment


def test_the_c_library_local_time_is_the_tzdata_packages_too():
    for moment in hours(datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)):
        expected = moment.astimezone(VANCOUVER_FROM_TZDATA).utcoffset().total_seconds()
        assert time.localtime(moment.timestamp()).tm_gmtoff == expected, moment


def test_british_columbia_keeps_utc_minus_7_all_year_from_march_2026():
    def offset(*args):
        return timezone.make_aware(datetime(*args)).utcoffset()

    assert offset(2026, 1, 15, 12) == timedelta(hours=-8)  # the last winter on standard time
    assert offset(2026, 3, 8, 1, 30) == timedelta(hours=-8)
    assert offset(2026, 3, 8, 3, 30) == timedelta(hours=-7)
    assert offset(2026, 11, 1, 1, 30) == timedelta(hours=-7)  # no change in November
    assert offset(2026, 12, 1, 12) == timedelta(hours=-7)
    assert offset(2027, 1, 15, 12) == timedelta(hours=-7)
    assert offset(2027, 3, 20, 12) == timedelta(hours=-7)


@pytest.mark.django_db
def test_a_query_that_asks_the_database_for_local_dates_is_refused():
    # The suite refuses any query that hands the database Vancouver's zone (tests/conftest.py).
    with pytest.raises(AssertionError, match="local time in SQL"):
        list(Appointment.objects.annotate(day=TruncDate("starts_at")).values("day"))
    with pytest.raises(AssertionError, match="local time in SQL"):
        Appointment.objects.filter(starts_at__date=timezone.localdate()).exists()
