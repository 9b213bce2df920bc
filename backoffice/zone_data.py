"""The clinic's local time comes from the tzdata package, never from the host's zone files.

British Columbia kept UTC-7 all year from March 2026; a host (or a PostgreSQL server) with older
zone files still moves Vancouver to UTC-8 in November. So Python's zoneinfo and the C library
(`time.localtime`, log timestamps) both read the package's files, and no query leaves Vancouver
arithmetic to the database (docs/architecture.md, "Time").
"""

import os
import zoneinfo
from importlib import resources
from importlib.resources.abc import Traversable


def zone_file(name: str) -> Traversable:
    """The tzdata package's file for a zone such as "America/Vancouver"."""
    return resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))


def use_tzdata_package() -> None:
    """Point zoneinfo (which searches the host's directories first) and the C library at the
    package. The C library reads TZDIR when TZ is set to a zone name, as Django does."""
    zoneinfo.reset_tzpath(to=())
    zoneinfo.ZoneInfo.clear_cache()
    os.environ["TZDIR"] = str(resources.files("tzdata.zoneinfo"))
