from backoffice.access.pages import seen_on_page
from backoffice.access.services import access_records_write


class AccessLogMiddleware:
    """Writes what a signed-in user's successful request showed (docs/security.md, the access
    log): the page's own entry in `pages.PAGES` and what its view noted with `record_access`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        shown = 200 <= response.status_code < 300 or getattr(response, "hands_over_document", False)
        if shown and user is not None and user.is_authenticated:
            page = seen_on_page(request)
            seen = [*getattr(request, "access_seen", []), *([page] if page else [])]
            if seen:
                access_records_write(user=user, path=request.path, seen=seen)
        return response
