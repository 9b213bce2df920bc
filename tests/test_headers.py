"""Every page tells the browser what it may do: a Content-Security-Policy without inline
scripts, a Permissions-Policy turning off cameras, microphones, location and the like, and the
older framing, referrer and sniffing headers (docs/security.md, Headers). The browser tests
(tests/browser) run every page they open under the policy and fail on a violation."""

import re

import pytest
from django.urls import reverse

from tests.factories import ClientFactory, TherapistFactory
from tests.portal.client_helpers import sign_in_as

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["admin:index", "reports:utilization", "admin:caseload_client_changelist"]
PORTAL_PAGES = ["portal:home", "portal:clients", "portal:schedule"]
CLIENT_PAGES = ["client:home", "client:documents", "client:preferences"]
SIGN_IN_PAGES = ["admin:login", "portal:login", "client:sign_in"]
# What may run in a page: only script files from the site itself (no <script> with a body, no
# onclick="..." and the like, no javascript: links).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.fixture
def pages(client, superuser):
    """(url, response) for the admin's, the portal's and the client's pages, each signed in as
    the person it is for, for the sign-in pages and for a page that does not exist."""
    therapist = TherapistFactory()
    fetched = []

    def fetch(*urls):
        fetched.extend((url, client.get(url)) for url in urls)

    client.force_login(superuser)
    fetch(*map(reverse, ADMIN_PAGES))
    client.logout()
    client.force_login(therapist.user)
    fetch(*map(reverse, PORTAL_PAGES))
    client.logout()
    sign_in_as(client, ClientFactory(primary_therapist=therapist))
    fetch(*map(reverse, CLIENT_PAGES))
    client.logout()
    fetch(*map(reverse, SIGN_IN_PAGES), "/no-such-page/")
    return fetched


def test_every_page_sends_the_security_headers(pages):
    for url, response in pages:
        assert response.status_code in (200, 404), url
        assert "Content-Security-Policy" in response.headers, url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "same-origin", url
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", url
        permissions = response.headers["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions.split(", "), (url, feature)


def test_the_policy_allows_only_the_sites_own_files_and_no_framing(pages):
    for url, response in pages:
        directives = policy(response)
        assert directives["default-src"] == ["'self'"], url
        assert directives["object-src"] == ["'none'"], url
        assert directives["base-uri"] == ["'none'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert directives["form-action"] == ["'self'"], url
        assert directives["img-src"] == ["'self'", "data:"], url
        assert directives["font-src"] == directives["connect-src"] == ["'self'"], url


def test_no_page_allows_inline_scripts(pages):
    for url, response in pages:
        assert "'unsafe-inline'" not in policy(response)["script-src"], url


def test_only_the_admin_allows_evaluated_scripts_and_inline_styles(pages):
    """unfold's Alpine.js evaluates its templates' expressions and its pages set style
    attributes; the portal, the client pages and error pages need neither."""
    unfold_pages = {reverse(name) for name in [*ADMIN_PAGES, "admin:login"]}
    for url, response in pages:
        directives = policy(response)
        if url in unfold_pages:
            assert directives["script-src"] == ["'self'", "'unsafe-eval'"], url
            assert directives["style-src"] == ["'self'", "'unsafe-inline'"], url
        else:
            assert directives["script-src"] == ["'self'"], url
            assert directives["style-src"] == ["'self'"], url


def test_our_pages_carry_no_inline_script(pages):
    for url, response in pages:
        found = INLINE_SCRIPT.search(response.content.decode())
        assert found is None, (url, found and found.group())


def test_the_reminder_link_page_keeps_the_strict_policy(client):
    response = client.get(reverse("reminder_confirm", args=["not-a-real-token"]))
    directives = policy(response)
    assert directives["script-src"] == directives["style-src"] == ["'self'"]
    assert "<style" not in response.content.decode()
