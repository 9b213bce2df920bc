"""Roles as auth Groups, with the permissions each role holds."""

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.accounts.models import STAFF_ROLES, Role, TwoFactorReset, User
from backoffice.accounts.selectors import (
    RECOVERY_DEVICE_NAME,
    totp_device_pending,
)

STAFF_APPS = (
    "accounts",
    "caseload",
    "scheduling",
    "messaging",
    "billing",
    "payouts",
    "worklist",
    "privacy",
    "access",
)
# Privacy requests, the breach register and the access log are the administrators' alone:
# finance and read-only staff do not get even their view permissions.
ADMIN_ONLY_APPS = {"privacy", "access"}
# Finance keeps the money side; administration runs everything else.
FINANCE_WRITE_MODELS = {
    "payer",
    "payerrate",
    "therapistrate",
    "servicetype",
    "invoice",
    "invoiceline",
    "payment",
    "paymentallocation",
    "receipt",
    "messagetemplate",
    "statement",
    "task",
}


ADMIN_ACCOUNTS_PERMISSIONS = {"view_user", "reset_two_factor", "view_twofactorreset"}


def _permissions_for(role: Role) -> list[Permission]:
    staff_permissions = Permission.objects.filter(
        content_type__app_label__in=STAFF_APPS
    ).select_related("content_type")
    if role == Role.ADMIN:
        # Users are a superuser's to change; administrators see them and reset a second factor.
        return [
            p
            for p in staff_permissions
            if p.content_type.app_label != "accounts" or p.codename in ADMIN_ACCOUNTS_PERMISSIONS
        ]
    if role == Role.FINANCE:
        return [
            p
            for p in staff_permissions
            if p.content_type.app_label not in ADMIN_ONLY_APPS
            and (p.codename.startswith("view_") or p.content_type.model in FINANCE_WRITE_MODELS)
        ]
    if role == Role.READ_ONLY:
        return [
            p
            for p in staff_permissions
            if p.codename.startswith("view_") and p.content_type.app_label not in ADMIN_ONLY_APPS
        ]
    return []


@transaction.atomic
def roles_sync() -> dict[Role, Group]:
    """Create or update one Group per role with that role's permissions."""
    groups = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(_permissions_for(role))
        groups[role] = group
    return groups


@transaction.atomic
def user_create(
    *,
    username: str,
    role: Role,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> User:
    """Create a user in one role; staff roles may sign in to the admin. Without a password the
    password is unusable (a therapist chooses one from an invitation; a client has none)."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role in STAFF_ROLES,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    return user


RECOVERY_CODE_COUNT = 10


def _token_shape(token: str) -> str:
    return "".join(token.split()).lower()


@transaction.atomic
def two_factor_enrol(*, user: User, key: str, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator set up with `key` by a code it shows now, and give the user
    RECOVERY_CODE_COUNT single-use recovery codes; both replace any earlier ones."""
    pending = totp_device_pending(user=user, key=key)
    totp = TOTP(pending.bin_key, pending.step, pending.t0, pending.digits)
    totp.time = time.time()
    token = _token_shape(token)
    if not (token.isdigit() and totp.verify(int(token), tolerance=pending.tolerance)):
        raise ValidationError(
            {"token": gettext("That code is not the one your app shows now. Try the next one.")}
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    pending.confirmed = True
    pending.last_t = totp.t()  # the code that confirmed it does not sign in again
    pending.save()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return pending, codes


def two_factor_verify(*, user: User, token: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `token`: six digits are the authenticator's code, anything else
    a recovery code (used up by this). Each device's own throttling counts only the codes
    meant for it, so typed app codes never slow down a recovery code."""
    token = _token_shape(token)
    device_model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    for device in device_model.objects.devices_for_user(user, confirmed=True):
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


@transaction.atomic
def two_factor_reset(*, user: User, by: User) -> TwoFactorReset:
    """Remove `user`'s authenticator and recovery codes and end their sessions: they sign in
    again and enrol a new authenticator. Recorded with who reset it and when."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user_sessions_end(user=user)
    return TwoFactorReset.objects.create(user=user, reset_by=by)


def user_sessions_end(*, user: User) -> int:
    """Sign `user` out everywhere (database sessions): how many sessions ended."""
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=theirs).delete()
    return len(theirs)
