"""Therapist A never reaches therapist B's records: every portal URL, taken from the URL
resolver, with every id of B's, is a 404 for A (reading, posting, files, PDFs, uploads,
requests); an anonymous visitor is sent to sign in. A new portal URL with an id must say
here which of B's records it takes, or this test fails."""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from backoffice.payouts.models import StatementStatus
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    StatementFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db

# Pages anyone may open: signing in and out, and the password pages of the accounts.
PUBLIC = {"login", "logout"}
PUBLIC_PREFIXES = ("password_",)

# Which of B's records each URL with an id takes.
RECORD_OF = {
    "client": "client",
    "client_request": "client",
    "renewal_upload": "authorization",
    "renewal_document": "authorization",
    "attendance": "appointment",
    "statement_pdf": "statement",
}


def portal_patterns() -> list[URLPattern]:
    portal = next(
        p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "portal"
    )
    return [p for p in portal.url_patterns if isinstance(p, URLPattern)]


def is_public(name: str) -> bool:
    return name in PUBLIC or name.startswith(PUBLIC_PREFIXES)


@pytest.fixture
def records_of_b():
    b = TherapistFactory()
    authorization = AuthorizationFactory(
        client__primary_therapist=b,
        renewal_submitted_at=timezone.now(),
        renewal_document=ContentFile(b"%PDF-1.4 B's", name="b.pdf"),
    )
    return {
        "client": authorization.client,
        "authorization": authorization,
        "appointment": AppointmentFactory(therapist=b, billing_client=authorization.client),
        "statement": StatementFactory(therapist=b, status=StatementStatus.SENT),
    }


def patterns_with_ids() -> list[URLPattern]:
    """Portal URLs that name a record; a public page's parameters (an emailed password link's
    user and token) are not a therapist's records."""
    return [p for p in portal_patterns() if p.pattern.converters and not is_public(p.name)]


def test_every_portal_url_with_an_id_is_mapped_to_a_record():
    with_ids = {p.name for p in patterns_with_ids()}
    assert with_ids == set(RECORD_OF), "say in RECORD_OF which record a new URL takes"


def test_therapist_a_gets_404_for_every_record_of_therapist_b(client, records_of_b):
    a = TherapistFactory()
    client.force_login(a.user)
    checked = 0
    for pattern in patterns_with_ids():
        record = records_of_b[RECORD_OF[pattern.name]]
        url = reverse(f"portal:{pattern.name}", args=[record.pk])
        for method in (client.get, client.post):
            assert method(url).status_code == 404, f"{method.__name__.upper()} {url}"
            checked += 1
    assert checked == 2 * len(RECORD_OF)


def test_pages_without_an_id_show_nothing_of_therapist_b(client, records_of_b):
    a = TherapistFactory()
    client.force_login(a.user)
    b_names = {records_of_b["client"].last_name, records_of_b["authorization"].reference_number}
    for pattern in portal_patterns():
        if pattern.pattern.converters or is_public(pattern.name):
            continue
        response = client.get(reverse(f"portal:{pattern.name}"), follow=True)
        assert response.status_code == 200, pattern.name
        page = response.content.decode()
        assert not any(name in page for name in b_names), pattern.name


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(client, records_of_b):
    login = reverse("portal:login")
    for pattern in portal_patterns():
        if is_public(pattern.name):
            continue
        args = []
        if pattern.pattern.converters:
            args = [records_of_b[RECORD_OF[pattern.name]].pk]
        response = client.get(reverse(f"portal:{pattern.name}", args=args))
        assert response.status_code == 302, pattern.name
        assert response["Location"].startswith(login), pattern.name
