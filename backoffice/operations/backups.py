"""Backups of Caseload's database and their restore (docs/deploy.md, Backups and restore).

PostgreSQL: pg_dump's custom format, restored by pg_restore into a new, empty database. The
embedded SQLite: SQLite's online backup API, a copy of the database file. A backup holds every
client's record: it is written readable by its owner only, and uploaded encrypted.
"""

import os
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import boto3
import environ
import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone
from psycopg import sql

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
# What each kind of backup file starts with: a pg_dump custom archive, an SQLite database.
SIGNATURES = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
SUFFIXES = {POSTGRESQL: ".dump", SQLITE: ".sqlite3"}
KINDS = {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite"}
BUCKET_PREFIX = "backups/"


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, never with a password."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    uploaded_to: str  # s3://bucket/key, or empty when BACKUP_BUCKET is not set


@dataclass(frozen=True)
class Restore:
    tables: int
    rows: int


def backup_default_path(*, engine: str) -> Path:
    """BACKUP_DIR (default var/backups/) / caseload-<Vancouver date and time>.<kind>."""
    directory = Path(os.environ.get("BACKUP_DIR") or settings.VAR_DIR / "backups")
    return directory / f"caseload-{timezone.localtime():%Y-%m-%d-%H%M}{SUFFIXES[engine]}"


def libpq_command(program: str, *, database: dict) -> tuple[list[str], dict[str, str]]:
    """`program`'s connection arguments for `database` (a DATABASES entry) and its environment:
    the password goes in the child's environment only, never in a process listing or a log."""
    argv = [program, "--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            argv.append(f"{option}={database[key]}")
    child_env = dict(os.environ)
    if database.get("PASSWORD"):
        child_env["PGPASSWORD"] = str(database["PASSWORD"])
    if sslmode := database.get("OPTIONS", {}).get("sslmode"):
        child_env["PGSSLMODE"] = sslmode
    return argv, child_env


def pg_dump_command(*, database: dict, output: Path) -> tuple[list[str], dict[str, str]]:
    argv, child_env = libpq_command("pg_dump", database=database)
    argv += [
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={output}",
        f"--dbname={database['NAME']}",
    ]
    return argv, child_env


def pg_restore_command(*, database: dict, dump: Path) -> tuple[list[str], dict[str, str]]:
    argv, child_env = libpq_command("pg_restore", database=database)
    argv += [
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",  # all or nothing: a failed restore leaves the database empty
        f"--dbname={database['NAME']}",
        str(dump),
    ]
    return argv, child_env


def _run(command: tuple[list[str], dict[str, str]]) -> None:
    argv, child_env = command
    try:
        finished = subprocess.run(argv, env=child_env, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(f"{argv[0]} is not installed (PostgreSQL's client programs)") from error
    if finished.returncode:
        raise BackupError(f"{argv[0]} failed: {finished.stderr.strip()}")


def _pg_connect(database: dict) -> psycopg.Connection:
    parameters = {
        "dbname": database["NAME"],
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        **database.get("OPTIONS", {}),
    }
    return psycopg.connect(**{key: value for key, value in parameters.items() if value})


def _table_names(database: dict) -> list[str]:
    """The tables of Caseload's schema (PostgreSQL's public schema), from the catalog."""
    if database["ENGINE"] == SQLITE:
        with closing(sqlite3.connect(database["NAME"])) as db:
            query = (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            return sorted(name for (name,) in db.execute(query))
    with _pg_connect(database) as db:
        query = """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"""
        return [name for (name,) in db.execute(query)]


def database_row_counts(*, database_url: str) -> dict[str, int]:
    """Each table's row count, by table name."""
    database = environ.Env.db_url_config(database_url)
    names = _table_names(database)
    if database["ENGINE"] == SQLITE:
        with closing(sqlite3.connect(database["NAME"])) as db:
            return {
                # The names come from sqlite_master.
                name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                for name in names
            }
    with _pg_connect(database) as db:
        count = sql.SQL("SELECT count(*) FROM {}")
        return {
            name: db.execute(count.format(sql.Identifier(name))).fetchone()[0] for name in names
        }


def backup_upload(*, path: Path, bucket: str) -> str:
    """The file into `bucket` under backups/, encrypted at rest by S3."""
    key = f"{BUCKET_PREFIX}{path.name}"
    client = boto3.client(
        "s3",
        region_name=os.environ.get("AWS_S3_REGION_NAME") or None,
        endpoint_url=os.environ.get("AWS_S3_ENDPOINT_URL") or None,
    )
    client.upload_file(str(path), bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
    return f"s3://{bucket}/{key}"


def backup_write(*, output: Path | None = None) -> Backup:
    """Back up the default database to `output` (default: backup_default_path), written under
    a temporary name then renamed, so a file with the final name is always a whole backup;
    then uploaded to BACKUP_BUCKET when that is set."""
    connection = connections["default"]
    database = connection.settings_dict
    engine = database["ENGINE"]
    if engine not in SIGNATURES:
        raise BackupError(f"no backup for the database engine {engine}")
    path = Path(output) if output else backup_default_path(engine=engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    try:
        if engine == POSTGRESQL:
            _run(pg_dump_command(database=database, output=partial))
        else:
            connection.ensure_connection()
            with closing(sqlite3.connect(partial)) as copy:
                connection.connection.backup(copy)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    bucket = os.environ.get("BACKUP_BUCKET")
    uploaded_to = backup_upload(path=path, bucket=bucket) if bucket else ""
    return Backup(path=path, size=path.stat().st_size, uploaded_to=uploaded_to)


def backup_restore(*, path: Path, database_url: str) -> Restore:
    """Restore the backup at `path` into the database at `database_url`, which must hold no
    table: restoring over a live database would mix two clinics' records."""
    database = environ.Env.db_url_config(database_url)
    engine = database["ENGINE"]
    if engine not in SIGNATURES:
        raise BackupError(f"no restore into the database engine {engine}")
    with Path(path).open("rb") as dump:
        if dump.read(len(SIGNATURES[engine])) != SIGNATURES[engine]:
            raise BackupError(f"{path} is not a backup of a {KINDS[engine]} database")
    if engine == SQLITE and not Path(database["NAME"]).parent.is_dir():
        raise BackupError(f"no directory for {database['NAME']}")
    try:
        tables = _table_names(database)
    except psycopg.OperationalError as error:
        raise BackupError(f"cannot reach the database {database['NAME']}: {error}") from error
    if tables:
        raise BackupError(
            f"the database {database['NAME']} already holds {len(tables)} tables: restore only "
            "into a new, empty database (PostgreSQL: createdb; SQLite: a new file name)"
        )
    if engine == POSTGRESQL:
        _run(pg_restore_command(database=database, dump=Path(path)))
    else:
        with (
            closing(sqlite3.connect(path)) as source,
            closing(sqlite3.connect(database["NAME"])) as db,
        ):
            source.backup(db)
    counts = database_row_counts(database_url=database_url)
    return Restore(tables=len(counts), rows=sum(counts.values()))
