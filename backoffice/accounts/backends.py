from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from sesame.backends import SesameBackendMixin


class CaseloadBackend(ModelBackend):
    """Django's backend, loading a signed-in user's therapist or client file and their unread
    notification count (the bell) with the user: every page reads them, so they cost no query
    of their own."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related(
            "therapist", "client_file", "notification_inbox"
        )
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class SignInLinkBackend(SesameBackendMixin, CaseloadBackend):
    """Signs a client in from an emailed link (django-sesame's token: scoped, expiring, used
    once); no password is ever checked here."""
