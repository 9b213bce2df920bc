"""P11 and P14 (docs/quality.md): staff and therapists signed in at once, through nginx (the
shipped deploy/nginx.conf, TLS) to gunicorn (deploy/gunicorn.conf.py) with two workers on
PostgreSQL, driven over loopback by locust, headless.

    make bench BENCH_ARGS="--only P11"
    python -m tests.bench.load [--users 16] [--seconds 60] [--rebuild]

1. A PostgreSQL database of its own (BENCH_POSTGRES_URL, default caseload_bench_load on the
   local server), migrated and seeded by seed_demo as of today: 200 therapists, 5,000 clients,
   50,000 appointments. Cached: rebuilt when the day, the fixtures or a migration change.
2. Half the users are staff in the administrator role (made once, load-staff-1...), half the
   therapists with the most clients. All are signed in by Django's own machinery with their
   second factor verified in the session (tests/accounts/codes.force_login_verified: no
   password hashing in the figures); their session keys and pages go to locust in a JSON
   file. Staff open the appointment list, a client's page, a therapist's week and the
   invoice list; therapists their portal pages (tests/bench/locustfile.py).
3. gunicorn with two workers, and another with one, each behind its own nginx; DEBUG off,
   one request at a time a worker, as production runs (GUNICORN_THREADS, 1).
4. locust, untimed, with `--users` users and no pause for 10 s on each: the workers have
   started and served the pages before anything is measured. Then one user of each mix, no
   pause, for 20 s: the mix's single-user median. Then `--users` users for `--seconds`, each
   pausing 1-3 s between pages as a person reading them does, started four a second; the
   times count from when all are in (P11). Last, P14: 8 users without pauses (a closed loop:
   throughput is what the servers give), on one worker then two, twice over, 15 s each.

Rows: failed requests in the whole P11 run (bar 0), each mix's p95 under load over its
single-user median (bar <= 4), throughput with two workers over one (bar >= 1.4), with the
requests, throughput and p50/p95/p99 of each mix and the machine's load average beside
them. Exits 1 when a bar is missed.
"""

import argparse
import contextlib
import json
import math
import os
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tests.bench.databases import BASE_DIR, BENCH_DIR, cache_key
from tests.production.servers import (
    database_exists,
    database_fresh,
    free_port,
    start_gunicorn,
    start_nginx,
    stop,
)

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/caseload_bench_load"
)
LOAD_DIR = BENCH_DIR / "load"
SEED = ["--seed", "1", "--therapists", "200", "--clients", "5000", "--payers", "10",
        "--appointments", "50000"]  # fmt: skip
WORKERS = 2
MIXES = {"staff": "Staff", "therapists": "Therapist"}  # mix: its user class in the locustfile
STAFF_USERNAME = "load-staff-{}"
MAX_FAILURES = 0
MAX_P95_OVER_MEDIAN = 4
MIN_THROUGHPUT_2_OVER_1 = 1.4
SINGLE_USER_SECONDS = 20
WARM_UP_SECONDS = 10
SPAWN_RATE = 4
SCALING_USERS = 8
SCALING_SECONDS = 15
SCALING_ROUNDS = 2
VENV_BIN = Path(sys.executable).parent


def load_env() -> dict[str, str]:
    return {
        **os.environ,
        "CASELOAD_VAR_DIR": str(LOAD_DIR),
        "DATABASE_URL": POSTGRES_URL,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "REDIS_URL": "",
    }


def _manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=load_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def ensure_database(*, rebuild: bool) -> float | None:
    """Seed the load database as of today in Vancouver, unless that one is there; the build
    seconds."""
    seed = [*SEED, "--today", datetime.now(ZoneInfo("America/Vancouver")).date().isoformat()]
    key = cache_key(seed)
    key_file = LOAD_DIR / "bench-key"
    cached = key_file.exists() and key_file.read_text() == key and database_exists(POSTGRES_URL)
    if cached and not rebuild:
        return None
    started = time.perf_counter()
    (LOAD_DIR / "static").mkdir(parents=True, exist_ok=True)
    key_file.unlink(missing_ok=True)
    database_fresh(POSTGRES_URL)
    _manage("migrate", "--noinput", "-v", "0")
    _manage("seed_demo", *seed)
    key_file.write_text(key)  # last: an interrupted build is rebuilt next time
    return time.perf_counter() - started


def sign_in(*, staff: int, therapists: int) -> dict:
    """Sessions for `staff` administrators and the `therapists` therapists with the most
    clients, and the pages of each mix (run in a process set up for the load database:
    `--sign-in`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    django.setup()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client as Browser
    from django.urls import reverse

    from backoffice.accounts.models import Role, User
    from backoffice.accounts.services import user_create
    from backoffice.caseload.models import Client, Therapist
    from backoffice.caseload.selectors import clients_of_therapist
    from tests.accounts.codes import force_login_verified

    def session_of(user) -> str:
        browser = Browser()
        force_login_verified(browser, user)
        return browser.cookies[settings.SESSION_COOKIE_NAME].value

    staff_people = []
    for number in range(1, staff + 1):
        username = STAFF_USERNAME.format(number)
        user = User.objects.filter(username=username).first()
        user = user or user_create(username=username, role=Role.ADMIN)
        staff_people.append({"session": session_of(user), "pages": {}})
    busiest = (
        Therapist.objects.filter(user__is_active=True)
        .annotate(caseload=Count("clients"))
        .order_by("-caseload", "pk")
        .select_related("user")[:therapists]
    )
    therapist_people = [
        {
            "session": session_of(therapist.user),
            "pages": {
                "client": [
                    reverse("portal:client", args=[pk])
                    for pk in clients_of_therapist(therapist=therapist).values_list("pk", flat=True)
                ]
            },
        }
        for therapist in busiest
    ]
    week = reverse("reports:week")
    staff_pages = {
        "appointments": reverse("admin:scheduling_appointment_changelist"),
        "invoices": reverse("admin:billing_invoice_changelist"),
        "client": [
            reverse("admin:caseload_client_change", args=[pk])
            for pk in Client.objects.values_list("pk", flat=True)
        ],
        "week": [f"{week}?therapist={pk}" for pk in Therapist.objects.values_list("pk", flat=True)],
    }
    therapist_pages = {
        name: reverse(f"portal:{name}")
        for name in ["home", "clients", "schedule", "week", "rooms", "statements"]
    }
    return {
        "cookie": settings.SESSION_COOKIE_NAME,
        "staff": {"pages": staff_pages, "people": staff_people},
        "therapists": {"pages": therapist_pages, "people": therapist_people},
    }


class Site(NamedTuple):
    """nginx in front of one gunicorn: its address, its authority's certificate, the two
    processes."""

    url: str
    authority: Path
    workers: int
    processes: tuple[subprocess.Popen, ...]


def serve(directory: Path, *, workers: int, running: list) -> Site:
    """gunicorn with `workers` behind nginx, both started into `running`, logs in `directory`."""
    directory.mkdir()
    port = free_port()
    log = directory / "gunicorn.log"
    gunicorn = start_gunicorn(port, env=load_env(), log=log, workers=workers)
    running.append(gunicorn)
    nginx, https, context = start_nginx(directory, upstreams=[port])
    running.append(nginx)
    authority = directory / "authority.pem"
    authority.write_text(
        "".join(ssl.DER_cert_to_PEM_cert(der) for der in context.get_ca_certs(binary_form=True))
    )
    return Site(f"https://127.0.0.1:{https}", authority, workers, (gunicorn, nginx))


def cpu_seconds(site: Site) -> dict[str, float]:
    """CPU seconds spent so far by the machine, by the site (gunicorn's workers, nginx and
    the load database's PostgreSQL backends) and by the locust runs that have ended."""
    import psutil  # locust's own dependency

    processes = [psutil.Process(process.pid) for process in site.processes]
    processes += [child for process in processes for child in process.children(recursive=True)]
    database = POSTGRES_URL.rsplit("/", 1)[1]
    processes += [
        backend
        for backend in psutil.process_iter(["name", "cmdline"])
        if backend.info["name"] == "postgres"
        and database in " ".join(backend.info["cmdline"] or [])
    ]
    site_seconds = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):  # a connection closed since
            site_seconds += sum(process.cpu_times()[:2])
    machine = psutil.cpu_times()
    locust = os.times()
    return {
        "machine": sum(machine) - machine.idle - getattr(machine, "iowait", 0.0),
        "site": site_seconds,
        "locust": locust.children_user + locust.children_system,
    }


class Run(NamedTuple):
    """One locust run, by mix: every request's time from when all users were in, and the
    seconds they were counted over; the requests sent and failed in the whole run."""

    times_ms: dict[str, list[float]]
    sent: dict[str, int]
    failures: dict[str, int]
    seconds: float
    cores: dict[str, float]  # cores busy over the run: the machine's, the site's, locust's

    def requests(self, mix: str | None = None) -> int:
        return sum(len(times) for name, times in self.times_ms.items() if mix in (None, name))

    def per_second(self, mix: str | None = None) -> float:
        return self.requests(mix) / self.seconds

    def percentiles(self, mix: str | None = None) -> dict[int, float]:
        times = [t for name, times in self.times_ms.items() if mix in (None, name) for t in times]
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        return {p: cuts[p - 1] for p in (50, 95, 99)}


def run_locust(
    site: Site,
    sessions: Path,
    users: int,
    seconds: int,
    *,
    think: bool = False,
    spawn_rate: int = 0,
    mixes: tuple[str, ...] = tuple(MIXES),
) -> Run:
    """One headless locust run of `users` spread evenly over `mixes`, for `seconds` once all
    are in."""
    spawn_rate = spawn_rate or users
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.json"
        started, cpu = time.perf_counter(), cpu_seconds(site)
        subprocess.run(
            [
                VENV_BIN / "locust",
                "-f",
                "tests/bench/locustfile.py",
                *(MIXES[mix] for mix in mixes),
                "--headless",
                "--only-summary",
                "--loglevel",
                "ERROR",
                "--users",
                str(users),
                "--spawn-rate",
                str(spawn_rate),
                "--run-time",
                f"{seconds + math.ceil(users / spawn_rate)}s",
                "--host",
                site.url,
            ],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "CASELOAD_LOAD_SESSIONS": str(sessions),
                "CASELOAD_LOAD_RESULTS": str(results),
                "CASELOAD_LOAD_THINK": "1" if think else "0",
                "CASELOAD_LOAD_AUTHORITY": str(site.authority),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall, cpu_after = time.perf_counter() - started, cpu_seconds(site)
        cores = {key: (cpu_after[key] - cpu[key]) / wall for key in cpu}
        return Run(**json.loads(results.read_text()), cores=cores)


class Figures(NamedTuple):
    single: dict[str, Run]  # one user of the mix, no pause
    loaded: Run  # --users with pauses, two workers
    scaling: dict[int, list[Run]]  # workers: closed-loop runs


def measure(sessions: Path, scratch: Path, *, users: int, seconds: int) -> Figures:
    running = []
    try:
        one, two = (
            serve(scratch / f"{n}-workers", workers=n, running=running) for n in (1, WORKERS)
        )
        for site in (one, two):
            run_locust(site, sessions, users, WARM_UP_SECONDS)
        single = {
            mix: run_locust(two, sessions, 1, SINGLE_USER_SECONDS, mixes=(mix,)) for mix in MIXES
        }
        loaded = run_locust(two, sessions, users, seconds, think=True, spawn_rate=SPAWN_RATE)
        scaling = {1: [], WORKERS: []}
        for _ in range(SCALING_ROUNDS):  # alternated: the machine's other load falls on both
            for site in (one, two):
                scaling[site.workers].append(
                    run_locust(site, sessions, SCALING_USERS, SCALING_SECONDS)
                )
    finally:
        for process in reversed(running):
            stop(process)
    return Figures(single, loaded, scaling)


def busy(runs: list[Run]) -> str:
    """The cores busy over `runs`: the machine's, and how many of them were the bench's."""
    cores = {key: statistics.mean(run.cores[key] for run in runs) for key in runs[0].cores}
    return (
        f"cores busy (of {os.cpu_count()}): {cores['machine']:.1f} in all, "
        f"{cores['site']:.1f} by nginx, gunicorn and PostgreSQL, {cores['locust']:.1f} by locust"
    )


def report(figures: Figures, *, users: int, seconds: int) -> bool:
    """Print the figures and the table of bars; whether every bar is met."""
    single, loaded = figures.single, figures.loaded
    each = users // len(MIXES)
    print(
        f"{users} users ({each} staff, {users - each} therapists) for {seconds} s, pausing "
        f"1-3 s between pages, through nginx (TLS) to gunicorn with {WORKERS} workers:"
    )
    for mix in (*MIXES, None):
        p = loaded.percentiles(mix)
        alone = (
            f"; one user, no pause: {single[mix].requests()} requests, "
            f"median {single[mix].percentiles()[50]:.0f} ms"
            if mix
            else ""
        )
        print(
            f"  {mix or 'all':10}  {loaded.requests(mix):5} requests, {loaded.per_second(mix):5.1f}"
            f"/s; p50/p95/p99 {p[50]:.0f}/{p[95]:.0f}/{p[99]:.0f} ms{alone}"
        )
    print(f"  {busy([loaded])}")
    throughput = {
        workers: sum(run.requests() for run in runs) / sum(run.seconds for run in runs)
        for workers, runs in figures.scaling.items()
    }
    scaled = throughput[WORKERS] / throughput[1]
    print(
        f"{SCALING_USERS} users, no pause, {SCALING_ROUNDS} x {SCALING_SECONDS} s on each: "
        f"{throughput[1]:.1f} requests/s with 1 worker, {throughput[WORKERS]:.1f} with 2"
    )
    for workers, runs in figures.scaling.items():
        print(f"  {workers} worker{'s' * (workers > 1)}: {busy(runs)}")
    print()
    failures = sum(loaded.failures.values())
    measured = f"{failures} of {sum(loaded.sent.values())}"
    table = [("P11", "failed requests", measured, f"<= {MAX_FAILURES}", failures <= MAX_FAILURES)]
    for mix in MIXES:
        p95, median = loaded.percentiles(mix)[95], single[mix].percentiles()[50]
        measured = f"{p95:.0f} / {median:.0f} ms = {p95 / median:.2f}"
        passed = p95 / median <= MAX_P95_OVER_MEDIAN
        table.append(
            (
                "P11",
                f"{mix}: p95 / single-user median",
                measured,
                f"<= {MAX_P95_OVER_MEDIAN}",
                passed,
            )
        )
    measured = f"{throughput[WORKERS]:.1f} / {throughput[1]:.1f} = {scaled:.2f}"
    passed = scaled >= MIN_THROUGHPUT_2_OVER_1
    table.append(
        ("P14", "throughput, 2 workers / 1", measured, f">= {MIN_THROUGHPUT_2_OVER_1}", passed)
    )
    print(f"{'id':4}  {'figure':38}  {'measured':24}  {'bar':6}  result")
    for id_, figure, measured, bar, passed in table:
        print(f"{id_:4}  {figure:38}  {measured:24}  {bar:6}  {'pass' if passed else 'FAIL'}")
    return all(row[-1] for row in table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P11 and P14: staff and therapists at once.")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rebuild", action="store_true", help="seed the database again")
    parser.add_argument("--sign-in", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    staff = args.users // len(MIXES)
    if args.sign_in:
        json.dump(sign_in(staff=staff, therapists=args.users - staff), sys.stdout)
        return 0
    # A SIGTERM (a CI timeout) runs the `finally`s: no server is left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print("P11/P14, load database (PostgreSQL): ", end="", flush=True)
    seconds = ensure_database(rebuild=args.rebuild)
    print("cached" if seconds is None else f"built in {seconds:.0f} s", flush=True)
    signed_in = subprocess.run(
        [sys.executable, "-m", "tests.bench.load", "--sign-in", "--users", str(args.users)],
        cwd=BASE_DIR,
        env=load_env(),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    with tempfile.TemporaryDirectory() as scratch:
        sessions = Path(scratch) / "sessions.json"
        sessions.write_text(signed_in)
        before = os.getloadavg()[0]
        figures = measure(sessions, Path(scratch), users=args.users, seconds=args.seconds)
    # Other work on the machine moves every figure here: say how much there was.
    print(
        f"The machine's load (1-minute average, {os.cpu_count()} cores): {before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after."
    )
    return 0 if report(figures, users=args.users, seconds=args.seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
