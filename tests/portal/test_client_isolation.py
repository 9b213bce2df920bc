"""Client A never reaches client B's records: every client-page URL, taken from the URL
resolver, with every id of B's, is a 404 for A (reading, posting, PDFs). Therapists and staff
are not let into the client pages, a client not into the therapist portal nor the admin; an
anonymous visitor is sent to the client sign-in. A new client URL with an id must say here
which of B's records it takes, or this test fails."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    IssuedInvoiceFactory,
    ReceiptFactory,
    TherapistFactory,
    UserFactory,
)
from tests.portal.client_helpers import sign_in_as

pytestmark = pytest.mark.django_db

# Pages anyone may open: asking for a link, opening it, signing out.
PUBLIC = {"sign_in", "sign_in_sent", "link", "sign_out"}

# Which of B's records each URL with an id takes.
RECORD_OF = {
    "confirm": "session",
    "cancel": "session",
    "invoice_pdf": "invoice",
    "receipt_pdf": "receipt",
}


def client_patterns() -> list[URLPattern]:
    pages = next(
        p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "client"
    )
    return [p for p in pages.url_patterns if isinstance(p, URLPattern)]


def private_patterns() -> list[URLPattern]:
    return [p for p in client_patterns() if p.name not in PUBLIC]


def url_of(pattern, records) -> str:
    args = [records[RECORD_OF[pattern.name]].pk] if pattern.pattern.converters else []
    return reverse(f"client:{pattern.name}", args=args)


@pytest.fixture
def records_of_b():
    b = ClientFactory(last_name="Bergeron-Zed")
    return {
        "client": b,
        "session": AppointmentFactory(
            billing_client=b, starts_at=timezone.now() + timedelta(days=3)
        )
        .__class__.objects.filter(billing_client=b)
        .get(),
        "invoice": IssuedInvoiceFactory(payer=None, client=b),
        "receipt": ReceiptFactory(payment__client=b),
    }


def test_every_client_url_with_an_id_is_mapped_to_a_record():
    with_ids = {p.name for p in private_patterns() if p.pattern.converters}
    assert with_ids == set(RECORD_OF), "say in RECORD_OF which record a new URL takes"


def test_client_a_gets_404_for_every_record_of_client_b(client, records_of_b):
    sign_in_as(client, ClientFactory())
    checked = 0
    for pattern in private_patterns():
        if not pattern.pattern.converters:
            continue
        url = url_of(pattern, records_of_b)
        for method in (client.get, client.post):
            assert method(url).status_code == 404, f"{method.__name__.upper()} {url}"
            checked += 1
    assert checked == 2 * len(RECORD_OF)
    session = records_of_b["session"]
    session.refresh_from_db()
    assert session.status == "scheduled" and session.confirmed_at is None


def test_pages_without_an_id_show_nothing_of_client_b(client, records_of_b):
    sign_in_as(client, ClientFactory())
    b = records_of_b
    shown_of_b = {b["client"].last_name, b["invoice"].number, b["receipt"].number}
    for pattern in private_patterns():
        if pattern.pattern.converters:
            continue
        page = client.get(url_of(pattern, records_of_b)).content.decode()
        assert not any(text in page for text in shown_of_b), pattern.name


@pytest.mark.parametrize("who", ["therapist", "staff", "superuser"])
def test_therapists_and_staff_are_not_let_into_the_client_pages(client, records_of_b, who):
    user = {
        "therapist": lambda: TherapistFactory().user,
        "staff": lambda: UserFactory(is_staff=True),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[who]()
    client.force_login(user)
    for pattern in private_patterns():
        assert client.get(url_of(pattern, records_of_b)).status_code == 403, pattern.name


def test_a_client_is_not_let_into_the_therapist_portal_nor_the_admin(client):
    sign_in_as(client, ClientFactory())
    assert client.get(reverse("landing"))["Location"] == reverse("client:home")
    assert client.get(reverse("portal:home")).status_code == 403
    assert client.get(reverse("portal:clients")).status_code == 403
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302
    assert admin["Location"].startswith(reverse("admin:login"))


def test_anonymous_visitors_are_sent_to_the_client_sign_in(client, records_of_b):
    sign_in = reverse("client:sign_in")
    for pattern in private_patterns():
        response = client.get(url_of(pattern, records_of_b))
        assert response.status_code == 302, pattern.name
        assert response["Location"].startswith(sign_in), pattern.name


def test_a_client_deactivated_while_signed_in_is_signed_out(client):
    person = ClientFactory()
    sign_in_as(client, person)
    assert client.get(reverse("client:home")).status_code == 200
    person.is_active = False
    person.save()
    response = client.get(reverse("client:home"))
    assert response["Location"].startswith(reverse("client:sign_in"))
    person.is_active = True
    person.save()
    assert client.get(reverse("client:home")).status_code == 302  # signed out for good
