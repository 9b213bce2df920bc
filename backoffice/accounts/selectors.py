"""Reads about accounts: who needs a second factor at sign-in, and who has one."""

from django.conf import settings
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.accounts.models import User


def is_therapist(user: User) -> bool:
    """The portal's own rule: a therapist is a user with a therapist's record."""
    return hasattr(user, "therapist")


def two_factor_may_enrol(*, user: User) -> bool:
    """Staff and therapists set up a second factor; clients sign in by emailed links only."""
    return user.is_staff or is_therapist(user)


def two_factor_has_device(*, user: User) -> bool:
    return user_has_device(user, confirmed=True)


def two_factor_required(*, user: User) -> bool:
    """Whether a sign-in of `user` needs the second factor: every staff user (superusers
    too); a therapist when TWO_FACTOR_REQUIRED_FOR_THERAPISTS is on or once they enrolled."""
    if user.is_staff:
        return True
    if not is_therapist(user):
        return False
    return settings.TWO_FACTOR_REQUIRED_FOR_THERAPISTS or two_factor_has_device(user=user)


def totp_device_pending(*, user: User, key: str) -> TOTPDevice:
    """The authenticator being set up, not saved: its key for the QR code and the text
    secret, until a code from it confirms it."""
    return TOTPDevice(user=user, key=key, name=TOTP_DEVICE_NAME, confirmed=False)


TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"
