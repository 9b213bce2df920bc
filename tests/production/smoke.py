"""The production smoke test (`make smoke`; .ci/run runs it on PostgreSQL and Redis): Caseload
as it is deployed, on loopback, and the work of a month-end through it.

nginx on the shipped deploy/nginx.conf (TLS from a throwaway authority, static files from
collectstatic, gzip) in front of two gunicorn processes (deploy/gunicorn.conf.py) on
PostgreSQL and Redis, and two Huey consumers, each the Procfile's worker (both run the periodic
schedule, as added worker instances would: a tick is claimed in Redis by one). The
database is migrated by the Procfile's release step, then a small synthetic clinic is seeded.
Through nginx, over HTTPS: the health check, a staff member's sign-in (password, then the
authenticator's code), a booking, last month's invoices and statements, the statements
emailed by the workers. A periodic job runs exactly once a minute; one gunicorn and one
consumer are stopped while requests and tasks are in flight, and nothing is lost (a request
refused by the stopping gunicorn is retried by nginx on the other one; a consumer finishes the
task in hand and leaves the queue to the other).

    python -m tests.production.smoke        (SMOKE_POSTGRES_URL, SMOKE_REDIS_URL to override)

Prints each step with its seconds; exits 1 at the first failure, leaving nothing running.
"""

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import requests

from tests.production.servers import (
    BASE_DIR,
    HOST,
    VENV_BIN,
    database_drop,
    database_fresh,
    start,
    start_gunicorn,
    start_nginx,
    stop,
)

POSTGRES_URL = os.environ.get(
    "SMOKE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/caseload_smoke"
)
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/9")
SEED = ["--therapists", "4", "--clients", "40", "--payers", "3", "--appointments", "400",
        "--billed-months", "0"]  # fmt: skip
STAFF = "smoke-office"
PASSWORD = secrets.token_urlsafe(18)
STATIC_FILE = "/static/backoffice/caseload.css"
REQUESTS_DURING_STOP = 120


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


@contextmanager
def step(name: str):
    started = time.perf_counter()
    print(f"- {name} ...", end=" ", flush=True)
    yield
    print(f"ok ({time.perf_counter() - started:.1f} s)", flush=True)


def production_env(var_dir: Path) -> dict[str, str]:
    """What the host's secret store gives Caseload (deploy/env.example), on loopback."""
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "SITE_URL": f"https://{HOST}",
        "TRUSTED_PROXY_COUNT": "1",
        "DATABASE_URL": POSTGRES_URL,
        "REDIS_URL": REDIS_URL,
        "CASELOAD_VAR_DIR": str(var_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": f"caseload:{secrets.token_urlsafe(18)}",
        "LOG_LEVEL": "WARNING",
    }


def procfile(process: str) -> str:
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise SmokeFailure(f"the Procfile has no {process!r} process")


def run(command: str, env: dict) -> None:
    done = subprocess.run(
        ["bash", "-c", command], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    check(done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}")


def fresh_services() -> None:
    import redis

    database_fresh(POSTGRES_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()


class FormReader(HTMLParser):
    """The fields a browser would submit from the page's forms (the one holding `marker`)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        elif tag == "input" and name and attributes.get("type") not in {"submit", "button"}:
            if attributes.get("type") in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self.forms[-1][name] = attributes.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.forms[-1].setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attributes:
            self.forms[-1][self._select] = attributes.get("value", "")
        elif tag == "textarea" and name:
            self.forms[-1][name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


class Browser:
    """A staff member's browser talking to nginx over HTTPS."""

    def __init__(self, port: int, authority: Path):
        self.base = f"https://127.0.0.1:{port}"
        self.session = requests.Session()
        self.authority = str(authority)
        self.session.headers.update({"Host": HOST, "Referer": f"https://{HOST}/"})

    def get(self, path: str, **options) -> requests.Response:
        return self.session.get(
            self.base + path, allow_redirects=False, timeout=60, verify=self.authority, **options
        )

    def submit(self, path: str, fields: dict, *, form_with: str = "csrfmiddlewaretoken"):
        """Open the page, fill its form (the first holding `form_with`) and post it."""
        page = self.get(path)
        check(page.status_code == 200, f"GET {path}: {page.status_code}")
        reader = FormReader()
        reader.feed(page.text)
        form = next((f for f in reader.forms if form_with in f), None)
        check(form is not None, f"{path} has no form with {form_with!r}")
        posted = self.session.post(
            self.base + path,
            data={**form, **fields},
            headers={"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"},
            allow_redirects=False,
            timeout=120,
            verify=self.authority,
        )
        if posted.status_code == 200:
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', posted.text, re.S)
            raise SmokeFailure(f"POST {path} was refused: {errors or posted.text[:500]}")
        check(posted.status_code == 302, f"POST {path}: {posted.status_code}")
        return posted


def health(browser: Browser) -> dict:
    answer = browser.get("/healthz")
    check(answer.headers.get("Content-Type", "").startswith("application/json"), "not JSON")
    return {"http": answer.status_code, **answer.json()}


def wait_until(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        check(time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s")
        time.sleep(1)


def smoke(scratch: Path) -> None:
    var_dir = scratch / "var"
    var_dir.mkdir()
    env = production_env(var_dir)
    with step("fresh PostgreSQL database and Redis"):
        fresh_services()
    with step(f"release step: {procfile('release')}"):
        run(procfile("release"), env)
    with step("collectstatic (the image's build step)"):
        run("python manage.py collectstatic --noinput -v 0", env)
    with step(f"a synthetic clinic: seed_demo {' '.join(SEED)}"):
        run(shlex.join(["python", "manage.py", "seed_demo", *SEED]), env)

    # This process reads and checks the database as the running site sees it.
    os.environ.update({k: v for k, v in env.items() if k != "PATH"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    import django

    django.setup()
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backoffice.accounts.models import Role
    from backoffice.accounts.services import user_create
    from backoffice.billing.models import Invoice
    from backoffice.caseload.models import Client
    from backoffice.documents.models import SendStatus
    from backoffice.operations.models import WorkerHeartbeat
    from backoffice.payouts.models import Statement
    from backoffice.scheduling.models import Appointment
    from tests.accounts.codes import next_totp_code

    staff = user_create(username=STAFF, role=Role.ADMIN, password=PASSWORD)
    device = TOTPDevice.objects.create(user=staff, name="smoke", confirmed=True)

    with ExitStack() as running:
        with step("two gunicorn processes, nginx in front, two Huey consumers"):
            from tests.production.servers import free_port

            ports = [free_port(), free_port()]
            web = [
                start_gunicorn(port, env=env, log=scratch / f"gunicorn-{port}.log")
                for port in ports
            ]
            for process in web:
                running.callback(stop, process)
            nginx_dir = scratch / "nginx"
            nginx_dir.mkdir()
            nginx, https, _ = start_nginx(nginx_dir, upstreams=ports, static=var_dir / "static")
            running.callback(stop, nginx)
            worker = procfile("worker")
            consumers = [
                start(["bash", "-c", f"exec {worker}"], env=env, log=scratch / f"huey-{n}.log")
                for n in (1, 2)
            ]
            for process in consumers:
                running.callback(stop, process, how=signal.SIGTERM, seconds=90)
            browser = Browser(https, nginx_dir / "authority.pem")

        with step("health check through nginx (database, Redis, storage, time zone data)"):
            checks = health(browser)["checks"]
            for name in ("database", "redis", "storage", "time_zone"):
                check(checks.get(name) == "ok", f"/healthz: {checks}")

        with step("static files from collectstatic, gzipped by nginx"):
            css = browser.get(STATIC_FILE, headers={"Accept-Encoding": "gzip"})
            check(css.status_code == 200, f"{STATIC_FILE}: {css.status_code}")
            check(css.headers.get("Content-Encoding") == "gzip", f"not gzipped: {css.headers}")
            page = browser.get("/admin/login/", headers={"Accept-Encoding": "gzip"})
            check("Content-Encoding" not in page.headers, "pages must not be compressed")

        with step("staff sign-in: password, then the authenticator's code"):
            browser.submit(
                "/admin/login/", {"username": STAFF, "password": PASSWORD}, form_with="username"
            )
            second = browser.get("/admin/").headers.get("Location", "")
            check("/two-factor/verify/" in second, f"the admin after the password: {second!r}")
            browser.submit(second, {"token": next_totp_code(device)}, form_with="token")
            check(browser.get("/admin/").status_code == 200, "the admin after sign-in")

        with step("a booking from the admin's appointment form"):
            client = Client.objects.filter(primary_therapist__isnull=False).order_by("pk")[0]
            starts = timezone.localtime() + timedelta(days=30)
            starts = starts.replace(hour=21, minute=0, second=0, microsecond=0)
            before = Appointment.objects.count()
            browser.submit(
                "/admin/scheduling/appointment/add/",
                {
                    "therapist": client.primary_therapist_id,
                    "billing_client": client.pk,
                    "service_type": Appointment.objects.values_list(
                        "service_type", flat=True
                    ).first(),
                    "attendance": "online",
                    "room": "",
                    "starts_at_0": f"{starts:%Y-%m-%d}",
                    "starts_at_1": f"{starts:%H:%M}",
                    "_save": "",
                },
            )
            check(Appointment.objects.count() == before + 1, "no appointment was booked")
            booked = Appointment.objects.latest("pk")
            check(booked.starts_at == starts, f"booked at {booked.starts_at}, not {starts}")

        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        with step(f"{last_month:%B %Y}'s invoices"):
            browser.submit("/admin/billing/invoice/generate/", {"month": f"{last_month}"})
            invoices = Invoice.objects.filter(period_start=last_month).count()
            check(invoices > 0, "no invoice for last month")
        with step(f"{last_month:%B %Y}'s statements"):
            browser.submit("/admin/payouts/statement/run/", {"month": f"{last_month}"})
            statements = list(
                Statement.objects.filter(period_start=last_month).values_list("pk", flat=True)
            )
            check(statements, "no statement for last month")

        with step("a periodic job (the workers' heartbeat) runs once a minute, not twice"):

            def beats():
                return WorkerHeartbeat.objects.values_list("beats", flat=True).first() or 0

            seen = beats()
            wait_until(lambda: beats() > seen, seconds=90, what="a heartbeat")
            # Just after a minute's run: two more minutes start in the next 150 s, not three.
            first = beats()
            time.sleep(150)
            check(beats() == first + 2, f"{beats() - first} runs in two minutes, not 2")

        with step(f"{len(statements)} statements emailed by the workers, one stopped meanwhile"):
            page = browser.get("/admin/payouts/statement/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            sent = browser.session.post(
                browser.base + "/admin/payouts/statement/",
                data={
                    "csrfmiddlewaretoken": token,
                    "action": "send_selected",
                    "_selected_action": statements,
                },
                headers={"Origin": f"https://{HOST}"},
                allow_redirects=False,
                timeout=60,
                verify=browser.authority,
            )
            check(sent.status_code == 302, f"send: {sent.status_code}")
            stop(consumers[1], how=signal.SIGTERM, seconds=90)
            check(consumers[1].returncode == 0, f"the consumer exited {consumers[1].returncode}")

            def all_sent():
                return (
                    not Statement.objects.filter(pk__in=statements)
                    .exclude(send_status=SendStatus.SENT)
                    .exists()
                )

            wait_until(all_sent, seconds=120, what="statements emailed")
            mails = list((var_dir / "mail").glob("*.log"))
            check(mails, "no email was written")

        with step(f"{REQUESTS_DURING_STOP} pages while one gunicorn stops: none lost"):
            list_page = "/admin/scheduling/appointment/"

            def fetch(_):
                answer = browser.get(list_page)
                if answer.status_code == 200:
                    return 0
                retried = browser.get(list_page)
                return 1 if retried.status_code == 200 else 2

            with ThreadPoolExecutor(max_workers=4) as pool:
                outcomes = pool.map(fetch, range(REQUESTS_DURING_STOP))
                time.sleep(1)
                stop(web[0])
                outcomes = list(outcomes)
            check(web[0].returncode == 0, f"gunicorn exited {web[0].returncode}")
            check(2 not in outcomes, f"{outcomes.count(2)} request(s) failed after a retry")
            print(f"({outcomes.count(1)} needed the browser's retry)", end=" ")

        with step("health check green: every part, the worker included"):
            answer = health(browser)
            check(answer["http"] == 200 and answer["status"] == "ok", f"/healthz: {answer}")
            check(set(answer["checks"].values()) == {"ok"}, f"/healthz: {answer}")


def main() -> int:
    started = time.perf_counter()
    print("Production smoke: nginx -> 2 gunicorn -> PostgreSQL + Redis, 2 Huey consumers")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="caseload-smoke-") as scratch:
        try:
            smoke(Path(scratch))
        except Exception as failure:
            print(f"FAILED\n{failure!r}")
            for log in sorted(Path(scratch).glob("*.log")):
                print(f"--- {log.name} (last lines)\n{log.read_text()[-3000:]}")
            return 1
        finally:
            from django.db import connections

            connections.close_all()
            database_drop(POSTGRES_URL)
    print(f"Production smoke passed in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
