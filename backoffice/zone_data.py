"""The clinic's local time comes from the tzdata package, never from the host's zone files.

British Columbia kept UTC-7 all year from March 2026; a host (or a PostgreSQL server) with older
zone files still moves Vancouver to UTC-8 in November. So Python's zoneinfo and the C library
(`time.localtime`, log timestamps) both read the package's files, and no query leaves Vancouver
arithmetic to the database (docs/architecture.md, "Time").
"""

import os
import time
import zoneinfo
from importlib import resources
from importlib.resources.abc import Traversable


def zone_file(name: str) -> Traversable:
    """The tzdata package's file for a zone such as "America/Vancouver"."""
    return resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))


def zoneinfo_from_tzdata() -> None:
    """zoneinfo searches the host's directories before the package: search the package only."""
    zoneinfo.reset_tzpath(to=())
    zoneinfo.ZoneInfo.clear_cache()


def c_library_from_tzdata(name: str) -> None:
    """Local time in C (`time.localtime`, logging) from the package's file for `name`.

    Django points TZ at the host's file of the same name when settings load; this runs after.
    """
    os.environ["TZ"] = f":{zone_file(name)}"
    time.tzset()
