"""Codes an authenticator app would show, computed from a device's key as the app does."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.accounts.selectors import TOTP_DEVICE_NAME, two_factor_required


def totp_code(key: bytes, *, at: float | None = None, step: int = 30) -> str:
    """The six digits an app holding `key` shows at `at` (now by default)."""
    totp = TOTP(key, step=step)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def next_totp_code(device: TOTPDevice) -> str:
    """A code `device` accepts now: the current one, or the next (its tolerance takes it) when
    the current one signed in already."""
    device.refresh_from_db()
    now = time.time()
    current = int((now - device.t0) // device.step)
    at = now if current > device.last_t else now + device.step
    return totp_code(device.bin_key, at=at, step=device.step)


def verified_device(user) -> TOTPDevice | None:
    """The user's authenticator (made when they have none) if their sign-in needs one."""
    if not two_factor_required(user=user):
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)


_django_force_login = Client.force_login  # tests/conftest.py puts the function below in its place


def force_login_verified(client: Client, user, backend=None) -> None:
    """Django's force_login, then what django_otp.login() writes once a code is right."""
    _django_force_login(client, user, backend)
    device = verified_device(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
