"""The sign-in lockout as production runs it: the shipped deploy/nginx.conf (TLS, its proxy
headers) in front of gunicorn started from deploy/gunicorn.conf.py, on this test's database.
Requests leave from distinct loopback addresses (Linux routes all of 127.0.0.0/8), so nginx sees
an attacker and a staff member as two addresses, as it would two offices."""

import http.client
import os
import re
import ssl
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.db import connection

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from tests.production.servers import HOST, NGINX, free_port, start_gunicorn, start_nginx, stop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOGIN = "/admin/login/"
PASSWORD = "office-password-2026"
ATTACKER = "127.0.0.2"
OFFICE = "127.0.0.3"


@dataclass
class Proxy:
    port: int
    context: ssl.SSLContext
    access_log: Path


@pytest.fixture(autouse=True)
def postgresql_and_nginx():
    if connection.vendor != "postgresql":
        pytest.skip("gunicorn serves the test's database from another process: PostgreSQL")
    if not NGINX.exists():
        pytest.skip("nginx is not installed (/usr/sbin/nginx; .ci/run installs Debian's)")


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn as deployed (its config file), one worker, counting the one proxy in front."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "TRUSTED_PROXY_COUNT": "1",
    }
    port = free_port()
    process = start_gunicorn(port, env=env, log=tmp_path / "gunicorn.log")
    try:
        yield port
    finally:
        stop(process)


@pytest.fixture
def proxy(tmp_path, gunicorn):
    """nginx on the shipped configuration in front of `gunicorn`."""
    process, https, context = start_nginx(tmp_path, upstreams=[gunicorn])
    try:
        yield Proxy(https, context, tmp_path / "access.log")
    finally:
        stop(process)


class Browser:
    """One person's browser on one machine: its own address and cookies."""

    def __init__(self, proxy, address: str):
        self.proxy = proxy
        self.address = address
        self.cookies = SimpleCookie()

    def request(self, method: str, path: str, *, body: str = "", headers=None):
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.proxy.port,
            context=self.proxy.context,
            source_address=(self.address, 0),
        )
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        try:
            connection.request(
                method,
                path,
                body=body,
                headers={"Host": HOST, "Cookie": cookie, **(headers or {})},
            )
            response = connection.getresponse()
            response.text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return response

    def sign_in(self, username: str, password: str, *, forwarded_for: str = ""):
        """The staff sign-in's password step, the browser (or a script) adding an
        X-Forwarded-For of its own when `forwarded_for` is given."""
        form = self.request("GET", LOGIN).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            # What a browser sends: over HTTPS Django's CSRF check wants the page it came from.
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{LOGIN}",
        }
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        body = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        return self.request("POST", LOGIN, body=urlencode(body), headers=headers)


@pytest.fixture
def office(db):
    return user_create(username="office", role=Role.ADMIN, password=PASSWORD)


def test_an_attacker_cannot_lock_out_staff_signing_in_from_elsewhere(proxy, office):
    attacker = Browser(proxy, ATTACKER)
    # The forged header names the office's address: were it believed, the office is locked.
    failures = [attacker.sign_in("office", "wrong", forwarded_for=OFFICE) for _ in range(5)]
    assert [failed.status for failed in failures] == [200, 200, 200, 200, 429]
    locked = attacker.sign_in("office", PASSWORD, forwarded_for=OFFICE)
    assert locked.status == 429

    staff = Browser(proxy, OFFICE)
    signed_in = staff.sign_in("office", PASSWORD)
    assert signed_in.status == 302, signed_in.status
    assert not signed_in.getheader("Location").startswith(LOGIN)
    assert "sessionid" in staff.cookies

    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("office", ATTACKER)
    ]
    seen_by_nginx = {line.split()[0] for line in proxy.access_log.read_text().splitlines()}
    assert seen_by_nginx == {ATTACKER, OFFICE}
