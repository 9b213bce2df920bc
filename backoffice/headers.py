"""Response headers that tell the browser what a Caseload page may do (docs/security.md, Headers).

The Content-Security-Policy comes from settings.CONTENT_SECURITY_POLICY; unfold's pages (the
admin, staff's two-factor pages) get the two relaxations unfold needs. Permissions-Policy turns
off the browser features no page uses.
"""

from csp.constants import UNSAFE_EVAL, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.templatetags.static import static

# unfold ships Alpine.js's standard build, which runs the x-data/x-on/... expressions of its
# templates through the Function constructor, and its templates and scripts set style attributes.
UNFOLD_RELAXATIONS = {"script-src": [UNSAFE_EVAL], "style-src": [UNSAFE_INLINE]}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy, with UNFOLD_RELAXATIONS added to the pages that load unfold's
    Alpine.js only: the therapist portal, the client pages, the reminder links and error pages
    keep the strict policy."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if loads_unfold_alpine(response):
            parts.update = {**UNFOLD_RELAXATIONS, **(parts.update or {})}
        return parts


def loads_unfold_alpine(response):
    """Whether the page's own markup loads unfold's Alpine.js (escaped text a person typed
    into a page can never contain the tag)."""
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return False
    return f'<script src="{static("unfold/js/alpine/alpine.js")}"'.encode() in response.content


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
