"""A client's journey, on a phone (390 px wide) and on a desktop: they ask for a sign-in link,
open it from the email the clinic's SMTP server received, cancel a session more than the
late-cancellation window away, and are refused (with the clinic's message) for one inside it."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.scheduling.models import AppointmentStatus
from tests.browser.conftest import fits_the_screen
from tests.factories import AppointmentFactory, ClientFactory
from tests.peers.smtp import body_text

pytestmark = pytest.mark.browser

LINK = re.compile(r"(https?://\S+/client/sign-in/link/\?\S+)")


def session_of(person, starts_in):
    starts_at = timezone.now() + starts_in
    return AppointmentFactory(
        billing_client=person, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50)
    )


def test_a_client_signs_in_by_email_and_cancels_a_session(
    live_server, screen, smtp_server, artifacts_dir
):
    person = ClientFactory(first_name="Océane", email="oceane@example.test")
    in_time = session_of(person, timedelta(days=3))
    too_late = session_of(person, timedelta(hours=5))

    screen.goto(f"{live_server.url}{reverse('client:sign_in')}")
    fits_the_screen(screen)
    screen.fill("input[name=email]", "oceane@example.test")
    with screen.expect_navigation():
        screen.click("button[type=submit]")
    expect(screen.get_by_role("heading", name="Check your email")).to_be_visible()

    [email] = smtp_server.wait_for(1)
    link = urlsplit(LINK.search(body_text(email)).group(1))
    screen.goto(f"{live_server.url}{link.path}?{link.query}")
    assert "link=" not in screen.url  # the token left the address bar
    with screen.expect_navigation():
        screen.get_by_role("button", name="Sign in").click()
    expect(screen.locator(".sessions .card")).to_have_count(2)
    fits_the_screen(screen)

    screen.locator(f'[data-session="{in_time.pk}"]').get_by_text("Cancel this session").click()
    with screen.expect_navigation():
        screen.get_by_role("button", name="Yes, cancel it").click()
    expect(screen.get_by_role("status")).to_have_text("Your session is cancelled.")
    expect(screen.locator(".sessions .card")).to_have_count(1)
    in_time.refresh_from_db()
    assert in_time.status == AppointmentStatus.CANCELLED

    screen.locator(f'[data-session="{too_late.pk}"]').get_by_text("Cancel this session").click()
    with screen.expect_navigation():
        screen.get_by_role("button", name="Yes, cancel it").click()
    expect(screen.get_by_role("alert")).to_contain_text("please call the clinic to cancel")
    fits_the_screen(screen)
    screen.screenshot(path=artifacts_dir / f"client-late-cancel-{screen.screen_name}.png")
    too_late.refresh_from_db()
    assert too_late.status == AppointmentStatus.SCHEDULED
