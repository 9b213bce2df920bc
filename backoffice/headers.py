"""Response headers that tell the browser what a Caseload page may do (docs/security.md, Headers).

The Content-Security-Policy comes from settings.CONTENT_SECURITY_POLICY; the admin gets the two
relaxations unfold needs. Permissions-Policy turns off the browser features no page uses.
"""

from csp.constants import UNSAFE_EVAL, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.urls import reverse

# unfold ships Alpine.js's standard build, which runs the x-data/x-on/... expressions of its
# templates through the Function constructor, and its templates and scripts set style attributes.
ADMIN_RELAXATIONS = {"script-src": [UNSAFE_EVAL], "style-src": [UNSAFE_INLINE]}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy, with ADMIN_RELAXATIONS added under the admin's path only (the
    therapist portal, the client pages and the reminder links keep the strict policy)."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path_info.startswith(reverse("admin:index")):
            parts.update = {**ADMIN_RELAXATIONS, **(parts.update or {})}
        return parts


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY: each feature mapped to the origins allowed to use it
    (none: the feature is off for the page and anything it embeds)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
