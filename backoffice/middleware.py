import time

from django.conf import settings
from django.contrib.auth import logout

SESSION_STARTED_KEY = "caseload_session_started"
SESSION_SEEN_KEY = "caseload_session_seen"
# Refreshing the idle expiry at most once a minute spares a session write on most requests.
SEEN_RESOLUTION_SECONDS = 60


class SessionLimitsMiddleware:
    """Ends a signed-in session after SESSION_COOKIE_AGE idle or SESSION_ABSOLUTE_SECONDS in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session = request.session
            now = int(time.time())
            started = session.setdefault(SESSION_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
            elif now - session.get(SESSION_SEEN_KEY, 0) >= SEEN_RESOLUTION_SECONDS:
                session[SESSION_SEEN_KEY] = now
        return self.get_response(request)
