"""Clients sign in by an emailed link (docs/rules.md, Clients' pages): the email is read back
from a real SMTP server; the link is in the client's language, works once, expires; an
unknown address gets the same answer; one link per address every couple of minutes."""

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from backoffice.accounts.models import Role
from backoffice.fields import Language
from backoffice.messaging.models import OutboxMessage, Purpose
from tests.factories import ClientFactory
from tests.peers.smtp import body_text

pytestmark = pytest.mark.django_db

VANCOUVER = ZoneInfo("America/Vancouver")
ASKED = datetime(2027, 1, 14, 10, 0, tzinfo=VANCOUVER)
LINK = re.compile(r"(https?://\S+/client/sign-in/link/\?\S+)")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(ASKED, tick=False)
    return time_machine


def ask_for_link(client, email, capture):
    with capture(execute=True):
        response = client.post(reverse("client:sign_in"), {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("client:sign_in_sent")
    return response


def link_in(email_message) -> str:
    link = LINK.search(body_text(email_message)).group(1)
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def open_link(client, link):
    """Open the emailed link and press Sign in, as the client does."""
    opened = client.get(link)
    assert opened["Location"] == reverse("client:link")  # the token leaves the address
    return client.post(reverse("client:link"))


def test_the_link_signs_the_client_in_once(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory(email="lea.martin@example.test")
    ask_for_link(client, "Lea.Martin@Example.test ", django_capture_on_commit_callbacks)
    [email] = smtp_server.wait_for(1)
    assert email["To"] == "lea.martin@example.test"
    link = link_in(email)

    signed_in = open_link(client, link)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("client:home")
    assert client.get(reverse("client:home")).status_code == 200

    client.post(reverse("client:sign_out"))
    assert client.get(reverse("client:home"))["Location"].startswith(reverse("client:sign_in"))
    again = open_link(client, link)
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()
    assert client.get(reverse("client:home")).status_code == 302
    person.refresh_from_db()
    assert person.user is not None


def test_the_first_request_makes_a_client_account_that_is_not_staff(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory()
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    person.refresh_from_db()
    user = person.user
    assert not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert user.has_role(Role.CLIENT)
    assert user.username == f"client-{person.pk}"
    assert person.first_name not in user.username
    # A second request (later) keeps the same account.
    clock.shift(timedelta(seconds=settings.CLIENT_LINK_INTERVAL_SECONDS + 1))
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    person.refresh_from_db()
    assert person.user == user


def test_the_email_is_in_the_clients_language(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    ClientFactory(email="french@example.test", preferred_language=Language.FRENCH)
    ClientFactory(email="english@example.test", preferred_language=Language.ENGLISH)
    ask_for_link(client, "french@example.test", django_capture_on_commit_callbacks)
    ask_for_link(client, "english@example.test", django_capture_on_commit_callbacks)
    french, english = smtp_server.wait_for(2)
    # Valid until 10:15 that day, written out in each language.
    assert "14 janvier 2027, 10:15" in body_text(french)
    assert "14 January 2027, 10:15" in body_text(english)


def test_an_expired_link_is_refused(client, clock, smtp_server, django_capture_on_commit_callbacks):
    person = ClientFactory()
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    [email] = smtp_server.wait_for(1)
    clock.shift(timedelta(seconds=settings.SESAME_MAX_AGE + 1))
    refused = open_link(client, link_in(email))
    assert "This link no longer works" in refused.content.decode()
    assert client.get(reverse("client:home")).status_code == 302


def test_a_link_just_before_it_expires_still_works(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory()
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    [email] = smtp_server.wait_for(1)
    clock.shift(timedelta(seconds=settings.SESAME_MAX_AGE - 5))
    assert open_link(client, link_in(email))["Location"] == reverse("client:home")


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory(email="known@example.test")
    ClientFactory(email="gone@example.test", is_active=False)
    known = ask_for_link(client, "known@example.test", django_capture_on_commit_callbacks)
    unknown = ask_for_link(client, "nobody@example.test", django_capture_on_commit_callbacks)
    deactivated = ask_for_link(client, "gone@example.test", django_capture_on_commit_callbacks)
    assert known["Location"] == unknown["Location"] == deactivated["Location"]
    sent_page = client.get(known["Location"]).content
    assert smtp_server.wait_for(1)[0]["To"] == person.email
    assert OutboxMessage.objects.filter(purpose=Purpose.SIGN_IN).count() == 1
    assert client.get(unknown["Location"]).content == sent_page


def test_one_link_per_address_every_interval(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory()
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    clock.shift(timedelta(seconds=settings.CLIENT_LINK_INTERVAL_SECONDS - 1))
    ask_for_link(client, person.email.upper(), django_capture_on_commit_callbacks)
    assert OutboxMessage.objects.filter(recipient=person.email).count() == 1
    clock.shift(timedelta(seconds=2))
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    assert len(smtp_server.wait_for(2)) == 2


def test_a_family_sharing_an_address_gets_one_link_per_file(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    parent = ClientFactory(email="family@example.test", first_name="Amélie")
    child = ClientFactory(email="family@example.test", first_name="Noé")
    ask_for_link(client, "family@example.test", django_capture_on_commit_callbacks)
    emails = smtp_server.wait_for(2)
    by_name = {
        person.pk: next(e for e in emails if f"Hello {person.first_name}," in body_text(e))
        for person in (parent, child)
    }
    for person, other in ((parent, child), (child, parent)):
        browser = client.__class__()
        open_link(browser, link_in(by_name[person.pk]))
        page = browser.get(reverse("client:home")).content.decode()
        assert person.first_name in page and other.first_name not in page


def test_a_client_deactivated_after_the_email_cannot_use_the_link(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory()
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    [email] = smtp_server.wait_for(1)
    person.is_active = False
    person.save()
    refused = open_link(client, link_in(email))
    assert "This link no longer works" in refused.content.decode()


def test_a_link_without_its_token_signs_no_one_in(client):
    page = client.get(reverse("client:link"))
    assert "This link no longer works" in page.content.decode()
    assert client.post(reverse("client:link")).status_code == 200
    assert client.get(reverse("client:home")).status_code == 302


def test_an_idle_client_is_sent_to_sign_in(
    client, clock, smtp_server, django_capture_on_commit_callbacks
):
    person = ClientFactory()
    ask_for_link(client, person.email, django_capture_on_commit_callbacks)
    open_link(client, link_in(smtp_server.wait_for(1)[0]))
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
    assert client.get(reverse("client:home")).status_code == 200  # activity keeps it alive
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    idle = client.get(reverse("client:home"))
    assert idle.status_code == 302
    assert idle["Location"].startswith(reverse("client:sign_in"))
