from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class CaseloadBackend(ModelBackend):
    """Django's backend, loading a signed-in user's therapist with the user: every portal
    page reads it, so it costs no query of its own."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("therapist")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
