"""P11 (docs/quality.md): signed-in therapists browsing the portal at once, through gunicorn
with two workers on PostgreSQL, driven over loopback by locust (headless).

    make bench BENCH_ARGS="--only P11"
    python -m tests.bench.load [--users 16] [--seconds 60] [--rebuild]

1. A PostgreSQL database of its own (BENCH_POSTGRES_URL, default caseload_bench_load on the
   local server), migrated and seeded by seed_demo as of today: 200 therapists, 5,000 clients,
   50,000 appointments. Cached: rebuilt when the day, the fixtures or a migration change.
2. The therapists with the most clients are signed in by Django's own login machinery (the
   test client's force_login, no password hashing in the figures); their session keys and
   client pages go to locust in a JSON file.
3. gunicorn with deploy/gunicorn.conf.py and two workers, DEBUG off.
4. locust, untimed, with `--users` users and no pause for 10 s: both workers have served
   every page once before anything is measured. Then one user and no pause: the
   single-request median of the page mix. Then `--users` therapists for `--seconds`, each
   pausing 1-3 s between pages as a person reading them does (tests/bench/locustfile.py),
   started four a second; the figures count from when all are in.

Rows: failed requests (bar 0), p95 under load over the single-request median (bar <= 4),
with the throughput and p50/p95/p99 beside them. Exits 1 when a bar is missed.
"""

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.bench.databases import BASE_DIR, BENCH_DIR, cache_key

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/caseload_bench_load"
)
LOAD_DIR = BENCH_DIR / "load"
SEED = ["--seed", "1", "--therapists", "200", "--clients", "5000", "--payers", "10",
        "--appointments", "50000"]  # fmt: skip
WORKERS = 2
MAX_FAILURES = 0
MAX_P95_OVER_MEDIAN = 4
SINGLE_USER_SECONDS = 20
WARM_UP_SECONDS = 10
SPAWN_RATE = 4
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


def _server():
    """A connection to the PostgreSQL server's maintenance database; the load database's name."""
    import psycopg

    server, name = POSTGRES_URL.rsplit("/", 1)
    return psycopg.connect(f"{server}/postgres", autocommit=True), name


def ensure_database(*, rebuild: bool) -> float | None:
    """Seed the load database as of today in Vancouver, unless that one is there; the build
    seconds."""
    seed = [*SEED, "--today", datetime.now(ZoneInfo("America/Vancouver")).date().isoformat()]
    key = cache_key(seed)
    key_file = LOAD_DIR / "bench-key"
    connection, name = _server()
    with connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not rebuild and found.fetchone() and key_file.exists() and key_file.read_text() == key:
            return None
        started = time.perf_counter()
        (LOAD_DIR / "static").mkdir(parents=True, exist_ok=True)
        key_file.unlink(missing_ok=True)
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    _manage("migrate", "--noinput", "-v", "0")
    _manage("seed_demo", *seed)
    key_file.write_text(key)  # last: an interrupted build is rebuilt next time
    return time.perf_counter() - started


def sign_in(count: int) -> dict:
    """Sessions for the `count` therapists with the most clients, and their pages (run in a
    process set up for the load database: `--sign-in`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    django.setup()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from backoffice.caseload.models import Therapist
    from backoffice.caseload.selectors import clients_of_therapist

    therapists = (
        Therapist.objects.filter(user__is_active=True)
        .annotate(caseload=Count("clients"))
        .order_by("-caseload", "pk")
        .select_related("user")[:count]
    )
    signed_in = []
    for therapist in therapists:
        browser = Client()
        browser.force_login(therapist.user)
        clients = clients_of_therapist(therapist=therapist).values_list("pk", flat=True)
        signed_in.append(
            {
                "session": browser.cookies[settings.SESSION_COOKIE_NAME].value,
                "client_pages": [reverse("portal:client", args=[pk]) for pk in clients],
            }
        )
    pages = {
        name: reverse(f"portal:{name}")
        for name in ["home", "clients", "schedule", "week", "rooms", "statements"]
    }
    return {"cookie": settings.SESSION_COOKIE_NAME, "pages": pages, "therapists": signed_in}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**load_env(), "PORT": str(port), "GUNICORN_WORKERS": str(WORKERS)}
    server = subprocess.Popen(
        [VENV_BIN / "gunicorn", "backoffice.wsgi:application", "-c", "deploy/gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/portal/login/", timeout=5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited before answering") from None
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 60 s")


def run_locust(
    port: int, sessions: Path, users: int, seconds: int, *, think: bool, spawn_rate: int = 0
) -> dict:
    """One headless locust run; the aggregated row of its statistics (counted from when all
    users are in)."""
    with tempfile.TemporaryDirectory() as scratch:
        prefix = Path(scratch) / "run"
        subprocess.run(
            [
                VENV_BIN / "locust",
                "-f",
                "tests/bench/locustfile.py",
                "--headless",
                "--only-summary",
                "--loglevel",
                "ERROR",
                "--users",
                str(users),
                "--spawn-rate",
                str(spawn_rate or users),
                "--reset-stats",
                "--run-time",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
            ],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "CASELOAD_LOAD_SESSIONS": str(sessions),
                "CASELOAD_LOAD_THINK": "1" if think else "0",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(f"{prefix}_stats.csv", newline="") as stats:
            rows = {row["Name"]: row for row in csv.DictReader(stats)}
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "per_second": float(total["Requests/s"]),
        **{f"p{p}": float(total[f"{p}%"]) for p in (50, 95, 99)},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P11: the portal under load.")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rebuild", action="store_true", help="seed the database again")
    parser.add_argument("--sign-in", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sign_in:
        json.dump(sign_in(args.sign_in), sys.stdout)
        return 0
    # A SIGTERM (a CI timeout) runs the `finally` below: gunicorn is not left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print("P11, load database (PostgreSQL): ", end="", flush=True)
    seconds = ensure_database(rebuild=args.rebuild)
    print("cached" if seconds is None else f"built in {seconds:.0f} s", flush=True)
    signed_in = subprocess.run(
        [sys.executable, "-m", "tests.bench.load", "--sign-in", str(args.users)],
        cwd=BASE_DIR,
        env=load_env(),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    port = _free_port()
    server = start_gunicorn(port)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as sessions:
            sessions.write(signed_in)
            sessions.flush()
            path = Path(sessions.name)
            run_locust(port, path, args.users, WARM_UP_SECONDS, think=False)
            single = run_locust(port, path, 1, SINGLE_USER_SECONDS, think=False)
            loaded = run_locust(
                port, path, args.users, args.seconds, think=True, spawn_rate=SPAWN_RATE
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    ratio = loaded["p95"] / single["p50"]
    table = [
        ("P11", "failed requests", f"{loaded['failures']} of {loaded['requests']}",
         f"<= {MAX_FAILURES}", loaded["failures"] <= MAX_FAILURES),
        ("P11", "p95 / single-request median",
         f"{loaded['p95']:.0f} / {single['p50']:.0f} ms = {ratio:.2f}",
         f"<= {MAX_P95_OVER_MEDIAN}", ratio <= MAX_P95_OVER_MEDIAN),
    ]  # fmt: skip
    print(
        f"{args.users} therapists for {args.seconds} s, gunicorn with {WORKERS} workers: "
        f"{loaded['requests']} requests, {loaded['per_second']:.1f} a second; p50/p95/p99 "
        f"{loaded['p50']:.0f}/{loaded['p95']:.0f}/{loaded['p99']:.0f} ms. One user, no pause: "
        f"{single['requests']} requests, median {single['p50']:.0f} ms.\n"
    )
    print(f"{'id':4}  {'figure':28}  {'measured':24}  {'bar':5}  result")
    for id_, figure, measured, bar, passed in table:
        print(f"{id_:4}  {figure:28}  {measured:24}  {bar:5}  {'pass' if passed else 'FAIL'}")
    return 0 if all(row[-1] for row in table) else 1


if __name__ == "__main__":
    sys.exit(main())
