"""The clinic's local time comes from the tzdata package, never from the host's zone files.

British Columbia kept UTC-7 all year from March 2026; a host (or a PostgreSQL server) with older
zone files still moves Vancouver to UTC-8 in November. So Python's zoneinfo and the C library
(`time.localtime`, log timestamps) both read the package's files, and no query leaves Vancouver
arithmetic to the database (docs/architecture.md, "Time"): a local day or month is bounded by
the instants computed here.
"""

import os
import zoneinfo
from datetime import date, datetime, time, timedelta
from importlib import resources
from importlib.resources.abc import Traversable

from django.utils import timezone


def zone_file(name: str) -> Traversable:
    """The tzdata package's file for a zone such as "America/Vancouver"."""
    return resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))


def use_tzdata_package() -> None:
    """Point zoneinfo (which searches the host's directories first) and the C library at the
    package. The C library reads TZDIR when TZ is set to a zone name, as Django does."""
    zoneinfo.reset_tzpath(to=())
    zoneinfo.ZoneInfo.clear_cache()
    os.environ["TZDIR"] = str(resources.files("tzdata.zoneinfo"))


def local_midnight(day: date) -> datetime:
    """The instant a Vancouver calendar day starts, aware (a clock-change day is 23 or 25 hours
    long, so a day's end is the next day's midnight, never midnight plus 24 hours)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of the month holding `month`."""
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
