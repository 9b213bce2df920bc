"""The second factor at every request: django-otp's `request.user.otp_device` read from the
session, and staff (and therapists who need it) sent to enrol or verify before any page."""

import functools

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from backoffice.accounts.selectors import two_factor_has_device, two_factor_required

# Written at sign-in (a therapist's need is known then; a staff user always needs it).
REQUIRED_SESSION_KEY = "caseload_two_factor_required"
# Pages an unverified user may still open: these, and the two-factor pages themselves.
OPEN_VIEWS = {"portal:login", "portal:logout", "admin:login", "admin:logout", "set_language"}


@receiver(user_logged_in, dispatch_uid="caseload_two_factor_required")
def _note_two_factor_required(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[REQUIRED_SESSION_KEY] = two_factor_required(user=user)


def two_factor_verified(request) -> bool:
    """The session passed the second factor: django_otp.login() wrote the device's id in it.
    A reset ends the user's sessions with their devices, so the id is trusted as it is."""
    return DEVICE_ID_SESSION_KEY in request.session


class SessionOTPMiddleware(OTPMiddleware):
    """django-otp's OTPMiddleware without its query per request: `user.is_verified()` is read
    from the session, and `user.otp_device` loads only when something reads it."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated and two_factor_verified(request):
            persistent_id = request.session[DEVICE_ID_SESSION_KEY]
            user.otp_device = SimpleLazyObject(
                functools.partial(Device.from_persistent_id, persistent_id)
            )
        return user


class TwoFactorRequiredMiddleware:
    """A signed-in user who needs a second factor and has not given it in this session reaches
    only the two-factor pages, sign-in, sign-out and the language switch: enrol when they have
    no authenticator yet, else verify; both come back to the page first asked for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or two_factor_verified(request):
            return None
        if not (user.is_staff or request.session.get(REQUIRED_SESSION_KEY)):
            return None
        match = request.resolver_match
        if match.namespace == "two_factor" or match.view_name in OPEN_VIEWS:
            return None
        page = "two_factor:verify" if two_factor_has_device(user=user) else "two_factor:enrol"
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
