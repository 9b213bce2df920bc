"""/healthz for the load balancer: every check's failure from a real cause, the answer's
shape and status, and that nothing in front of it (hosts, HTTPS, sessions) gets in its way
(docs/architecture.md, Operations)."""

import json
import os
import subprocess
import sys
import zoneinfo
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from django.conf import settings

from backoffice.operations.models import HEARTBEAT_PK, WorkerHeartbeat
from backoffice.zone_data import use_tzdata_package
from tests.production.servers import free_port

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 15, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def worker_beating(db):
    WorkerHeartbeat.objects.create(pk=HEARTBEAT_PK, beat_at=NOW - timedelta(seconds=70), beats=9)


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = ""


def healthz(client, **headers):
    response = client.get("/healthz", **headers)
    return response.status_code, json.loads(response.content)


def test_all_well_answers_ok_with_every_check(client, no_redis):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "redis": "not used",
            "storage": "ok",
            "worker": "ok",
            "time_zone": "ok",
        },
    }
    assert client.head("/healthz").status_code == 200


def test_the_load_balancer_probes_by_address_over_http_without_a_session(
    client, settings, no_redis
):
    """An AWS load balancer's Host is the instance's address: no ALLOWED_HOSTS check, no
    redirect to HTTPS, no cookie."""
    settings.ALLOWED_HOSTS = ["caseload.example"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.3.17")
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"
    assert not response.cookies
    assert client.get("/healthz/", HTTP_HOST="10.0.3.17").status_code == 400, "only /healthz"
    assert client.post("/healthz", HTTP_HOST="10.0.3.17").status_code == 400


def test_redis_answering_is_ok(client):
    if not settings.REDIS_URL:
        pytest.skip("Redis: REDIS_URL")
    assert healthz(client)[1]["checks"]["redis"] == "ok"


def test_redis_unreachable_degrades_but_keeps_the_instance_in(client, settings, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, body = healthz(client)
    assert status == 200, "a queue problem must not take every web instance out"
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == "failing"
    assert "ConnectionError" in caplog.text, "the cause goes to the log"
    assert "Connection" not in json.dumps(body), "and never into the answer"


def test_a_stale_heartbeat_degrades(client, time_machine, no_redis):
    last_beat = WorkerHeartbeat.objects.get().beat_at
    stale_after = timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    time_machine.move_to(last_beat + stale_after, tick=False)
    assert healthz(client)[1]["checks"]["worker"] == "ok"
    time_machine.move_to(last_beat + stale_after + timedelta(seconds=1), tick=False)
    status, body = healthz(client)
    assert (status, body["status"], body["checks"]["worker"]) == (200, "degraded", "stale")


def test_a_worker_that_never_beat_is_stale(client, no_redis):
    WorkerHeartbeat.objects.all().delete()
    assert healthz(client)[1]["checks"]["worker"] == "stale"


def test_unreachable_storage_fails(client, settings, no_redis):
    """S3 (production's storage) that does not answer: the instance cannot serve documents."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "caseload-media",
                "endpoint_url": f"http://127.0.0.1:{free_port()}",
                "access_key": "probe",
                "secret_key": "probe",
                "region_name": "ca-central-1",
            },
        },
    }
    os.environ["AWS_MAX_ATTEMPTS"] = "1"
    try:
        status, body = healthz(client)
    finally:
        del os.environ["AWS_MAX_ATTEMPTS"]
    assert (status, body["status"], body["checks"]["storage"]) == (503, "failing", "failing")


@pytest.fixture
def stale_zone_files(tmp_path):
    """Zone files from before British Columbia's change: Vancouver as Los Angeles' rules
    (UTC-8 in winter), where a host's directories come first."""
    old = tmp_path / "America" / "Vancouver"
    old.parent.mkdir()
    old.write_bytes(
        resources.files("tzdata.zoneinfo").joinpath("America", "Los_Angeles").read_bytes()
    )
    zoneinfo.reset_tzpath(to=[str(tmp_path)])
    yield
    use_tzdata_package()


def test_zone_data_without_the_change_fails(client, no_redis, stale_zone_files):
    status, body = healthz(client)
    assert (status, body["status"], body["checks"]["time_zone"]) == (503, "failing", "failing")


def test_an_unreachable_database_fails_in_production(tmp_path):
    """A production web process whose database and Redis do not answer: 503 with the failing
    checks, no redirect for plain HTTP, and its log lines JSON without the errors' text."""
    closed = free_port()
    (tmp_path / "static").mkdir()  # whitenoise warns (a Python warning, not a log line) without
    code = (
        "import json; from django.test import Client; r = Client().get('/healthz', "
        "HTTP_HOST='10.0.3.17'); print(r.status_code, r['Cache-Control'], r.content.decode())"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_ENV", "DEBUG", "DATABASE_URL", "REDIS_URL", "LOG_FORMAT")
    }
    env |= {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "a-production-secret-key-for-this-test-only-0123456789",
        "ALLOWED_HOSTS": "caseload.example",
        "SITE_URL": "https://caseload.example",
        "DATABASE_URL": f"postgres://caseload@127.0.0.1:{closed}/caseload",
        "REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        "ANYMAIL_WEBHOOK_SECRET": "postmark:secret",
        "CASELOAD_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    status, cache, body = result.stdout.split(" ", 2)
    assert (status, cache) == ("503", "no-store"), result.stderr
    assert json.loads(body) == {
        "status": "failing",
        "checks": {
            "database": "failing",
            "redis": "failing",
            "storage": "ok",
            "worker": "failing",
            "time_zone": "ok",
        },
    }
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["message"] for line in lines} >= {
        "health check database failing",
        "health check redis failing",
    }
    assert "Connection refused" not in result.stderr, "exceptions' messages stay out"
