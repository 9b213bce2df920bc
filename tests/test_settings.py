"""Production settings pass Django's deploy checks; auth is hardened; secrets come from the
environment (docs/quality.md, Deploy checks, Sign-in, Secrets and logs)."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management.utils import get_random_secret_key
from django.urls import reverse
from django.utils import timezone

from backoffice.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": get_random_secret_key(),  # 50 random characters, as an operator generates it
    "ALLOWED_HOSTS": "caseload.example",
    "DATABASE_URL": "postgres://caseload@db.internal:5432/caseload",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "POSTMARK_SERVER_TOKEN": "token-from-the-environment",
    "ANYMAIL_WEBHOOK_SECRET": "postmark:webhook-secret-from-the-environment",
    "SMS_TRANSPORT": "vonage",
    "AWS_STORAGE_BUCKET_NAME": "caseload-media",
    "SITE_URL": "https://caseload.example",
}


def run_manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k not in ("DEBUG", "DJANGO_ENV")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_secret_key_starting_with_a_dollar_sign_is_taken_as_written():
    """Django's generated keys draw from an alphabet with "$": one in fifty starts with it."""
    key = "$" + get_random_secret_key()[1:]
    code = "from django.conf import settings as s; print(s.SECRET_KEY == s.SECRET_KEY_FALLBACKS[0])"
    env = {**PRODUCTION_ENV, "SECRET_KEY": key, "SECRET_KEY_FALLBACKS": key}
    result = run_manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.split() == ["True"], result.stderr


def test_production_refuses_to_start_without_the_site_url():
    """Emailed links (a therapist's invitation, a password reset) would point nowhere."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SITE_URL"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SITE_URL" in result.stderr


def test_production_uses_postgres_redis_s3_and_the_esp():
    code = (
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], "
        "s.HUEY['huey_class'], s.STORAGES['default']['BACKEND'], s.EMAIL_BACKEND, s.DEBUG)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "huey.PriorityRedisHuey",
        "storages.backends.s3.S3Storage",
        "anymail.backends.postmark.EmailBackend",
        "False",
    ], result.stderr


def test_embedded_defaults_need_no_variables(tmp_path):
    code = (
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], "
        "s.HUEY['huey_class'], s.EMAIL_BACKEND, s.SMS_TRANSPORT, s.TIME_ZONE, s.USE_TZ, "
        "*[code for code, _ in s.LANGUAGES])"
    )
    var = tmp_path / "a-fresh-clone" / "var"  # var/ does not exist before `make run`
    result = run_manage("shell", "--no-imports", "-c", code, env={"CASELOAD_VAR_DIR": str(var)})
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "huey.SqliteHuey",
        "django.core.mail.backends.filebased.EmailBackend",
        "console",
        "America/Vancouver",
        "True",
        "en",
        "fr-ca",
    ], result.stderr


def test_argon2_is_the_password_hasher():
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_admin_login_locks_out_a_username_from_one_ip_after_five_failures(client, superuser):
    superuser.set_password("the-right-password-2026")
    superuser.save()
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "boss", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    locked = client.post(
        url, {"username": "boss", "password": "the-right-password-2026"}, REMOTE_ADDR="10.0.0.1"
    )
    assert locked.status_code == 429
    other_ip = client.post(
        url, {"username": "boss", "password": "the-right-password-2026"}, REMOTE_ADDR="10.0.0.2"
    )
    assert other_ip.status_code == 302


@pytest.mark.django_db
def test_a_session_ends_twelve_hours_after_sign_in_however_active(admin_client):
    url = reverse("admin:index")
    assert admin_client.get(url).status_code == 200
    session = admin_client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert admin_client.get(url).status_code == 302


@pytest.mark.django_db
def test_activity_pushes_the_idle_expiry_back(admin_client):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    admin_client.get(reverse("admin:index"))
    session = admin_client.session
    session[SESSION_SEEN_KEY] = int(time.time()) - 120
    session.save()
    stored = Session.objects.filter(pk=session.session_key)
    stored.update(expire_date=timezone.now() + timedelta(minutes=1))
    admin_client.get(reverse("admin:index"))
    assert stored.get().expire_date > timezone.now() + timedelta(minutes=25)


@pytest.mark.django_db
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL's JIT",
)
def test_postgresql_connections_run_without_jit():
    """Compiling a query took ~50 ms, more than the query, on the receivables total of the
    staff home at five years of history (docs/quality.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
