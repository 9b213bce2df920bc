"""The sign-in lockout as production runs it: the shipped deploy/nginx.conf (TLS, its proxy
headers) in front of gunicorn started from deploy/gunicorn.conf.py, on this test's database.
Requests leave from distinct loopback addresses (Linux routes all of 127.0.0.0/8), so nginx sees
an attacker and a staff member as two addresses, as it would two offices."""

import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import trustme
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NGINX = Path("/usr/sbin/nginx")
SHIPPED_NGINX = settings.BASE_DIR / "deploy" / "nginx.conf"
SHIPPED_GUNICORN = settings.BASE_DIR / "deploy" / "gunicorn.conf.py"
HOST = "caseload.example"
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"{process.args[0]} exited:\n{log.read_text()}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing answers on {port}:\n{log.read_text()}"
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn as deployed (its config file), one worker, counting the one proxy in front."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "TRUSTED_PROXY_COUNT": "1",
        "PORT": str(port),
        "GUNICORN_WORKERS": "1",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                Path(sys.executable).parent / "gunicorn",
                "--config",
                SHIPPED_GUNICORN,
                "backoffice.wsgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        stop(process)


def nginx_conf(shipped: str, *, tmp: Path, upstream: int, http: int, https: int) -> str:
    """The shipped file with only its ports, certificate and disk paths moved into the test, in
    the http block of a minimal nginx.conf run in the foreground."""
    for old, new in [
        ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{upstream} "),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/ssl/caseload/fullchain.pem", str(tmp / "fullchain.pem")),
        ("/etc/ssl/caseload/privkey.pem", str(tmp / "privkey.pem")),
        ("/var/log/nginx/caseload.access.log", str(tmp / "access.log")),
        ("/srv/caseload/var/static/", f"{tmp}/static/"),
    ]:
        assert shipped.count(old) == 1, f"deploy/nginx.conf no longer has {old!r} once"
        shipped = shipped.replace(old, new)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\nmaster_process off;\npid {tmp}/nginx.pid;\nerror_log stderr;\n"
        f"events {{}}\nhttp {{\n{temp_paths}\n{shipped}\n}}\n"
    )


@pytest.fixture
def proxy(tmp_path, gunicorn):
    """nginx on the shipped configuration in front of `gunicorn`."""
    authority = trustme.CA()
    certificate = authority.issue_cert("caseload.example", "127.0.0.1")
    certificate.private_key_pem.write_to_path(tmp_path / "privkey.pem")
    (tmp_path / "fullchain.pem").write_bytes(
        b"".join(pem.bytes() for pem in certificate.cert_chain_pems)
    )
    https = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        nginx_conf(
            SHIPPED_NGINX.read_text(),
            tmp=tmp_path,
            upstream=gunicorn,
            http=free_port(),
            https=https,
        )
    )
    log = tmp_path / "nginx.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [NGINX, "-p", tmp_path, "-c", conf, "-e", "stderr"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    context = ssl.create_default_context()
    authority.configure_trust(context)
    try:
        wait_for_port(https, process, log)
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
