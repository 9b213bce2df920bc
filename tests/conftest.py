from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client

from backoffice.accounts.services import roles_sync
from tests.accounts.codes import force_login_verified
from tests.factories import UserFactory

VANCOUVER = ZoneInfo("America/Vancouver")

# Real peers at the network edge: a loopback SMTP server (tests/peers/smtp.py), Postmark's API
# (tests/peers/postmark.py), Vonage's SMS API (tests/peers/vonage.py); the outbox's fault
# injection prints its counts at the end of the run (tests/peers/faults.py).
pytest_plugins = [
    "tests.peers.smtp",
    "tests.peers.postmark",
    "tests.peers.faults",
    "tests.peers.vonage",
]


def pytest_addoption(parser):
    parser.addoption(
        "--now",
        metavar="YYYY-MM-DDTHH:MM",
        help="run the whole suite as if the clinic's clock (Vancouver) showed this date and time",
    )


def _refuse_local_time_in_sql(execute, sql, params, many, context):
    # PostgreSQL converts with the host's zone files, which may be stale (docs/architecture.md).
    assert many or settings.TIME_ZONE not in (params or ()), f"local time in SQL: {sql}"
    return execute(sql, params, many, context)


def _guard_connection(sender, connection, **kwargs):
    connection.execute_wrappers.append(_refuse_local_time_in_sql)


def pytest_configure(config):
    connection_created.connect(_guard_connection)
    now = config.getoption("--now")
    if now:
        when = datetime.fromisoformat(now)
        when = when if when.tzinfo else when.replace(tzinfo=VANCOUVER)
        travel = time_machine.travel(when)
        travel.start()
        config.add_cleanup(travel.stop)


def pytest_report_header(config):
    now = config.getoption("--now")
    return f"clock: {now} in Vancouver (--now)" if now else None


@pytest.fixture(autouse=True)
def force_login_passes_two_factor(monkeypatch):
    """A test's force_login stands for a full two-factor sign-in; tests/accounts prove the real
    path."""
    monkeypatch.setattr(Client, "force_login", force_login_verified)


@pytest.fixture
def superuser(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def roles(db):
    return roles_sync()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    """A test on a real (transactional) database, live_server's too, ends by emptying it; the
    access log's trigger lets only the retention job delete (backoffice/access), so a test's
    teardown runs as one."""
    connection.access_purge = True
    yield
    connection.access_purge = False
