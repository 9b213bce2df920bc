"""The two bench databases: built once with migrate + seed_demo, cached under var/bench/.

SQLite files there by default; when DATABASE_URL names a PostgreSQL server, databases on it
named after the URL's database (`caseload` gives caseload_bench_5k and caseload_bench_500k),
their cache keys under var/bench/pg-<scale>/. The scratch databases of the figures that seed
their own data follow the same choice.

Both have the same 200 therapists and 5,000 clients (same seed); they differ only in how
many weeks of appointments they hold at the same weekly density: ~5,000 (three weeks) and
~500,000 (five years, the history the clinic keeps: docs/quality.md). Both are billed the
way the clinic bills: every month they cover invoiced, partly paid, receipted and paid out
(`--billed-months all`; the older months set-wise, fixtures/demo/ledger.py), so the
payment, receipt and statement lists hold five years at 500k. So a page shows the same rows
at both scales and only the history behind it grows. Both hold the worklist's tasks, open,
done and closed: seed_demo ends with the demo's sweeps (fixtures/demo/worklist.py). The
cache key is a hash of the fixtures package (the demo and the seed_demo command), every
migration and the seed arguments.
"""

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from tests.production.servers import database_drop, database_exists, database_fresh

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = BASE_DIR / "var" / "bench"
# Fixed, so the cached databases never depend on the build day. The 5k span is then 26
# January to 15 February: January is a closed month (invoiced on the 3rd, card payments and
# receipts, statements sent on the 5th), and no holiday closure.
BENCH_TODAY = "2026-02-11"
# The days pages filter on: the bench month's days that both databases hold.
BENCH_PERIOD = ("2026-02-01", "2026-02-15")
SEED_ARGS = [
    "--seed",
    "1",
    "--today",
    BENCH_TODAY,
    "--therapists",
    "200",
    "--clients",
    "5000",
    "--payers",
    "10",
    "--billed-months",
    "all",
]


class Scale(NamedTuple):
    name: str
    appointments: int


SCALES = [Scale("5k", 5_000), Scale("500k", 500_000)]


# The bench's own DATABASE_URL, read once: every process it starts gets a URL of its own.
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
if urlsplit(POSTGRES_URL).scheme not in {"postgres", "postgresql"}:
    POSTGRES_URL = ""
ENGINE = "PostgreSQL" if POSTGRES_URL else "SQLite"


def postgres_url(name: str) -> str:
    """The URL of database `name` on the bench's PostgreSQL server."""
    return urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()


def postgres_name(suffix: str) -> str:
    """`<the URL's database>_bench_<suffix>`."""
    return f"{urlsplit(POSTGRES_URL).path.lstrip('/')}_bench_{suffix}"


def database_dir(scale: Scale) -> Path:
    return BENCH_DIR / (f"pg-{scale.name}" if POSTGRES_URL else scale.name)


def database_label(scale: Scale) -> str:
    """Where the scale's figures come from, for the printed header (no credentials)."""
    if POSTGRES_URL:
        return f"PostgreSQL database {postgres_name(scale.name)}"
    return f"SQLite {database_dir(scale).relative_to(BASE_DIR) / 'caseload.sqlite3'}"


def database_url(scale: Scale) -> str:
    if POSTGRES_URL:
        return postgres_url(postgres_name(scale.name))
    return f"sqlite:///{database_dir(scale) / 'caseload.sqlite3'}"


def _env(var_dir: Path | str, url: str) -> dict[str, str]:
    return {
        "CASELOAD_VAR_DIR": str(var_dir),
        # Explicit, so a developer's .env (e.g. a PostgreSQL DATABASE_URL) is not used.
        "DATABASE_URL": url,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "REDIS_URL": "",
    }


def scale_env(scale: Scale) -> dict[str, str]:
    """The environment of every process that touches this scale's database."""
    return {**os.environ, **_env(database_dir(scale), database_url(scale))}


def seed_args(scale: Scale) -> list[str]:
    return [*SEED_ARGS, "--appointments", str(scale.appointments)]


def cache_key(seed_arguments: list[str]) -> str:
    """A hash of the fixtures package, every migration and the seed arguments."""
    digest = hashlib.sha256()
    sources = sorted((BASE_DIR / "fixtures").glob("**/*.py"))
    sources += sorted(
        path
        for path in BASE_DIR.glob("**/migrations/*.py")
        if not {".venv", "var", "node_modules"} & set(path.relative_to(BASE_DIR).parts)
    )
    for path in sources:
        digest.update(str(path.relative_to(BASE_DIR)).encode())
        digest.update(path.read_bytes())
    digest.update(" ".join(seed_arguments).encode())
    return digest.hexdigest()


def _run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL
    )


def ensure_database(scale: Scale, *, rebuild: bool = False) -> float | None:
    """Build the scale's database unless an up-to-date one is cached; the build seconds."""
    var_dir = database_dir(scale)
    key_file = var_dir / "bench-key"
    key = cache_key(seed_args(scale))
    cached = key_file.exists() and key_file.read_text() == key
    if POSTGRES_URL:
        cached = cached and database_exists(postgres_url(postgres_name(scale.name)))
    if not rebuild and cached:
        return None
    shutil.rmtree(var_dir, ignore_errors=True)
    # static/: whitenoise warns on every request when STATIC_ROOT is missing.
    (var_dir / "static").mkdir(parents=True)
    started = time.perf_counter()
    if POSTGRES_URL:
        database_fresh(postgres_url(postgres_name(scale.name)), template=_migrated_template())
    env = scale_env(scale)
    _run(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    _run(["manage.py", "seed_demo", *seed_args(scale)], env)
    if POSTGRES_URL:  # the statistics and visibility map a live database has
        import psycopg

        with psycopg.connect(database_url(scale), autocommit=True) as database:
            database.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    key_file.write_text(key)  # last: an interrupted build is rebuilt next time
    return seconds


def _migrated_template() -> str:
    """A migrated PostgreSQL database (`<name>_bench_migrated`) the others are copied from:
    copying takes a second where migrating takes most of a minute. Built again when a
    migration changes (its key in var/bench/pg-migrated/)."""
    name = postgres_name("migrated")
    var_dir = BENCH_DIR / "pg-migrated"
    key_file = var_dir / "bench-key"
    key = cache_key([])
    if key_file.exists() and key_file.read_text() == key and database_exists(postgres_url(name)):
        return name
    var_dir.mkdir(parents=True, exist_ok=True)
    key_file.unlink(missing_ok=True)
    database_fresh(postgres_url(name))
    _run(
        ["manage.py", "migrate", "--noinput", "-v", "0"],
        {**os.environ, **_env(var_dir, postgres_url(name))},
    )
    key_file.write_text(key)
    return name


def scratch_database(directory: str, **environment: str) -> None:
    """Django set up on a scratch database, migrated: the figures that seed their own data
    (P4 to P8, P12, P13) run on it, in a process of their own. SQLite in `directory`, or on
    PostgreSQL a database of this process (`<name>_bench_scratch_<pid>`), dropped at exit."""
    url = f"sqlite:///{directory}/bench.sqlite3"
    if POSTGRES_URL:
        name = postgres_name(f"scratch_{os.getpid()}")
        database_fresh(postgres_url(name), template=_migrated_template())
        atexit.register(_drop_scratch, name)
        url = postgres_url(name)
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "backoffice.settings", **_env(directory, url), **environment}
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _drop_scratch(name: str) -> None:
    from django.db import connections

    connections.close_all()
    database_drop(postgres_url(name))


def analyze() -> None:
    """After a scratch database's seed: on PostgreSQL, the statistics autovacuum would gather
    a minute later, gathered now so that neither their absence nor their gathering lands in
    a timed run. SQLite's figures were always taken without."""
    if POSTGRES_URL:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def vacuum() -> None:
    """Between runs that are rolled back: on PostgreSQL, what autovacuum does to the dead rows
    and index entries a rolled-back run leaves, done now, so that every run meets the tables as
    the first did rather than stepping over its predecessors' leftovers (~10% of a 10,000-row
    import). SQLite's rollback leaves none."""
    if POSTGRES_URL:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
