"""The two-factor pages: enrol an authenticator app (and get recovery codes), then give a code
at each sign-in. Staff see them in the admin's sign-in look, therapists in the portal's."""

from base64 import b32encode

import django_otp
import segno
from django.contrib import admin, messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.util import random_hex

from backoffice.accounts.forms import CodeForm
from backoffice.accounts.middleware import two_factor_verified
from backoffice.accounts.selectors import (
    totp_device_pending,
    two_factor_has_device,
    two_factor_may_enrol,
)
from backoffice.accounts.services import two_factor_enrol, two_factor_verify

PENDING_KEY_SESSION_KEY = "caseload_two_factor_pending_key"
CODES_SESSION_KEY = "caseload_two_factor_recovery_codes"


class TwoFactorPage(LoginRequiredMixin, TemplateView):
    title = ""
    recovery = False  # the code field takes a recovery code too

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not two_factor_may_enrol(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def staff(self) -> bool:
        return self.request.user.is_staff

    def next_url(self) -> str:
        """Where the user was going (a page of this site), else their home page."""
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return reverse("landing")

    def to(self, page: str):
        return redirect(f"{reverse(page)}?{urlencode({'next': self.next_url()})}")

    def form(self) -> CodeForm:
        data = self.request.POST if self.request.method == "POST" else None
        return CodeForm(data, staff=self.staff, recovery=self.recovery)

    def get_context_data(self, **kwargs):
        context = {
            **(admin.site.each_context(self.request) if self.staff else {}),
            **super().get_context_data(**kwargs),
            "title": self.title,
            "base_template": "two_factor/staff.html" if self.staff else "two_factor/portal.html",
            "next": self.next_url(),
        }
        context.setdefault("form", self.form())
        return context

    def signed_in(self, device):
        """The session passed the second factor with `device` (django-otp's own record)."""
        self.request.session.cycle_key()
        django_otp.login(self.request, device)


class EnrolView(TwoFactorPage):
    """Set up an authenticator app: scan the QR code (or type the secret), then confirm with a
    code it shows. Nothing is saved until a right code confirms it."""

    template_name = "two_factor/enrol.html"
    title = _("Set up two-factor sign-in")

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if (
            user.is_authenticated
            and two_factor_may_enrol(user=user)
            and two_factor_has_device(user=user)
        ):
            if not two_factor_verified(request):
                return self.to("two_factor:verify")
            if self.staff:
                return redirect(self.next_url())
            self.template_name = "two_factor/enrolled.html"
            self.title = _("Two-factor sign-in")
            return TemplateView.get(self, request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def pending_key(self) -> str:
        return self.request.session.setdefault(PENDING_KEY_SESSION_KEY, random_hex(20))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.template_name != EnrolView.template_name:  # the status page, already on
            return context
        device = totp_device_pending(user=self.request.user, key=self.pending_key())
        secret = b32encode(device.bin_key).decode()
        context["qr_code"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        return context

    def post(self, request, *args, **kwargs):
        form = self.form()
        if form.is_valid():
            try:
                device, codes = two_factor_enrol(
                    user=request.user, key=self.pending_key(), token=form.cleaned_data["token"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.signed_in(device)
                request.session.pop(PENDING_KEY_SESSION_KEY, None)
                request.session[CODES_SESSION_KEY] = codes
                return self.to("two_factor:recovery_codes")
        return self.render_to_response(self.get_context_data(form=form))


class RecoveryCodesView(TwoFactorPage):
    """The recovery codes of a new enrolment, shown this once."""

    template_name = "two_factor/recovery_codes.html"
    title = _("Your recovery codes")

    def get(self, request, *args, **kwargs):
        codes = request.session.pop(CODES_SESSION_KEY, None)
        if not codes:
            return redirect(self.next_url())
        return self.render_to_response(self.get_context_data(codes=codes))


class VerifyView(TwoFactorPage):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""

    template_name = "two_factor/verify.html"
    title = _("Two-factor sign-in")
    recovery = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and two_factor_may_enrol(user=request.user):
            if two_factor_verified(request):
                return redirect(self.next_url())
            if not two_factor_has_device(user=request.user):
                return self.to("two_factor:enrol")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.form()
        if form.is_valid():
            device = two_factor_verify(user=request.user, token=form.cleaned_data["token"])
            if device is not None:
                self.signed_in(device)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code; %(count)d is left.",
                            "You signed in with a recovery code; %(count)d are left.",
                            left,
                        )
                        % {"count": left},
                    )
                return redirect(self.next_url())
            form.add_error(
                None,
                _(
                    "That code is not right, or it came too soon after a wrong one. Wait a "
                    "few seconds and try again."
                ),
            )
        return self.render_to_response(self.get_context_data(form=form))
