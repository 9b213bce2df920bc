"""Therapists' accounts on the portal: sign-in for therapists only, choosing a password from an
emailed link (an invitation or a reset), asking for a reset. The rules are caseload's
selectors and services; these are the pages."""

from django import forms
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.selectors import portal_therapist
from backoffice.caseload.services import therapist_password_reset_send


class TherapistAuthenticationForm(auth_forms.AuthenticationForm):
    """The portal's sign-in: a right password is not enough, the account must be an active
    therapist's own (never a staff account, who are sent to the admin's sign-in)."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "not_therapist": _(
            "This sign-in is for the clinic's therapists. Staff sign in to the back office "
            "at %(admin)s."
        ),
        "therapist_inactive": _(
            "Your access to the portal is closed. Please contact the clinic's office."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        therapist = portal_therapist(user=user)
        if therapist is None:
            raise forms.ValidationError(
                self.error_messages["not_therapist"],
                code="not_therapist",
                params={"admin": reverse("admin:index")},
            )
        if not therapist.is_active:
            raise forms.ValidationError(
                self.error_messages["therapist_inactive"], code="therapist_inactive"
            )


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = TherapistAuthenticationForm


class TherapistPasswordResetForm(auth_forms.PasswordResetForm):
    """Asks for a reset link: the email goes through the outbox in the therapist's language
    (caseload.services.therapist_password_reset_send), never through Django's direct send."""

    def save(self, **kwargs):
        therapist_password_reset_send(email=self.cleaned_data["email"])


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether or not the address is a therapist's: nothing tells who has an
    account."""

    template_name = "portal/account/password_reset.html"
    form_class = TherapistPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/account/password_reset_done.html"


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Choose a password from an emailed link (invitation or reset). A link works only for an
    active therapist's own account, once, until PASSWORD_RESET_TIMEOUT; then the therapist
    signs in on the portal's sign-in page."""

    template_name = "portal/account/password_set.html"
    success_url = reverse_lazy("portal:login")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None:
            return None
        therapist = portal_therapist(user=user)
        return user if therapist is not None and therapist.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, _("Your password is set. Sign in with your username and new password.")
        )
        return response
