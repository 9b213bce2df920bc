import time

from django.conf import settings
from django.contrib.auth import logout

SESSION_STARTED_KEY = "caseload_session_started"


class SessionLimitsMiddleware:
    """Ends a signed-in session SESSION_ABSOLUTE_SECONDS after it began, however active.

    The 30-minute idle limit is Django's own: SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
