"""Backups and their restore (docs/deploy.md, Backups and restore): a backup restored into a new
database holds every row; a database holding tables is never restored over; the database
password never reaches a process listing; the file is named in Vancouver time and uploaded
encrypted. tests/production/restore.py does the same on a demo clinic, documents included."""

import sqlite3
from contextlib import closing
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import psycopg
import pytest
import requests
import time_machine
from django.core.management import call_command
from django.db import connection
from moto.server import ThreadedMotoServer

from backoffice.operations.backups import (
    BackupError,
    backup_default_path,
    backup_restore,
    backup_write,
    database_row_counts,
    pg_dump_command,
    pg_restore_command,
)
from tests.factories import AppointmentFactory

RESTORED = "caseload_bk_restored"


def postgres_url(name: str) -> str:
    database = connection.settings_dict
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore back up PostgreSQL")


@pytest.fixture
def empty_postgres_database(postgresql_only):
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as server:
        server.execute(f"DROP DATABASE IF EXISTS {RESTORED}")
        server.execute(f"CREATE DATABASE {RESTORED}")
    yield postgres_url(RESTORED)
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as server:
        server.execute(f"DROP DATABASE {RESTORED} WITH (FORCE)")


@pytest.fixture
def a_small_clinic():
    return AppointmentFactory.create_batch(3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgres_backup_restored_into_a_new_database_holds_every_row(
    a_small_clinic, empty_postgres_database, tmp_path
):
    backup = backup_write(output=tmp_path / "caseload.dump")

    restored = backup_restore(path=backup.path, database_url=empty_postgres_database)

    source = database_row_counts(database_url=postgres_url(connection.settings_dict["NAME"]))
    assert database_row_counts(database_url=empty_postgres_database) == source
    assert source["scheduling_appointment"] == 3
    assert (restored.tables, restored.rows) == (len(source), sum(source.values()))
    assert backup.path.stat().st_mode & 0o777 == 0o600  # every client's record is in it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgres_database_holding_tables_is_never_restored_over(
    a_small_clinic, postgresql_only, tmp_path
):
    backup = backup_write(output=tmp_path / "caseload.dump")
    live = postgres_url(connection.settings_dict["NAME"])
    before = database_row_counts(database_url=live)

    with pytest.raises(BackupError, match=r"already holds \d+ tables"):
        backup_restore(path=backup.path, database_url=live)

    assert database_row_counts(database_url=live) == before


def test_the_database_password_is_in_the_child_environment_never_in_its_arguments(tmp_path):
    database = {
        "NAME": "caseload",
        "USER": "caseload",
        "PASSWORD": "correct-horse-battery",
        "HOST": "db.example",
        "PORT": 5432,
        "OPTIONS": {"sslmode": "require"},
    }

    for argv, child_env in (
        pg_dump_command(database=database, output=tmp_path / "caseload.dump"),
        pg_restore_command(database=database, dump=tmp_path / "caseload.dump"),
    ):
        assert not any("correct-horse-battery" in part for part in argv)
        assert child_env["PGPASSWORD"] == "correct-horse-battery"
        assert child_env["PGSSLMODE"] == "require"
        assert "--no-password" in argv  # never waits for a prompt


@pytest.mark.django_db(transaction=True)
def test_an_sqlite_backup_restored_into_a_new_file_holds_every_row(a_small_clinic, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded database's backup")
    backup = backup_write(output=tmp_path / "caseload.sqlite3")
    target = tmp_path / "restored.sqlite3"

    restored = backup_restore(path=backup.path, database_url=f"sqlite:///{target}")

    counts = database_row_counts(database_url=f"sqlite:///{target}")
    assert counts == database_row_counts(database_url=f"sqlite:///{backup.path}")
    assert counts["scheduling_appointment"] == 3
    assert restored.rows == sum(counts.values())


@pytest.mark.django_db(transaction=True)
def test_an_sqlite_file_holding_tables_is_never_restored_over(a_small_clinic, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded database's backup")
    backup = backup_write(output=tmp_path / "caseload.sqlite3")
    target = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(target)) as live:
        live.execute("CREATE TABLE kept (note TEXT)")

    with pytest.raises(BackupError, match="already holds 1 tables"):
        backup_restore(path=backup.path, database_url=f"sqlite:///{target}")


def test_a_file_that_is_no_backup_of_that_database_is_refused(tmp_path):
    not_a_dump = tmp_path / "caseload.dump"
    not_a_dump.write_bytes(b"SQLite format 3\x00 and more")

    with pytest.raises(BackupError, match="is not a backup of a PostgreSQL database"):
        backup_restore(path=not_a_dump, database_url="postgres://postgres@127.0.0.1:1/x")


def test_the_default_name_is_the_clinic_time_of_the_backup(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path))
    new_year_eve = datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("America/Vancouver"))

    with time_machine.travel(new_year_eve):  # already 1 January in UTC
        path = backup_default_path(engine="django.db.backends.postgresql")

    assert path == tmp_path / "caseload-2026-12-31-2330.dump"


@pytest.fixture
def backup_bucket(monkeypatch):
    """A loopback S3 (moto's server) and its bucket, BACKUP_BUCKET pointing at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for variable, value in {
        "BACKUP_BUCKET": "caseload-backups",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "ca-central-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(variable, value)
    bucket = boto3.client("s3", endpoint_url=endpoint, region_name="ca-central-1")
    bucket.create_bucket(
        Bucket="caseload-backups",
        CreateBucketConfiguration={"LocationConstraint": "ca-central-1"},
    )
    yield bucket
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)  # moto keeps buckets per process
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_the_backup_command_uploads_to_the_bucket_encrypted(backup_bucket, tmp_path, capsys):
    output = tmp_path / ("caseload.dump" if connection.vendor == "postgresql" else "c.sqlite3")

    call_command("backup", output=output)

    stored = backup_bucket.head_object(Bucket="caseload-backups", Key=f"backups/{output.name}")
    assert stored["ServerSideEncryption"] == "AES256"
    assert stored["ContentLength"] == output.stat().st_size
    printed = capsys.readouterr().out
    assert f"Backup written: {output} ({output.stat().st_size:,} bytes)" in printed
    assert f"Uploaded to s3://caseload-backups/backups/{output.name}" in printed
