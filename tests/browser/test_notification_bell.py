"""The bell, end to end: staff answer two of a therapist's client requests in the admin; the
therapist's bell shows 2; they open it, follow one notification to the client's page, and the
bell shows 1; staff see their own bell in the admin's header."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, SCREENS, admin_sign_in
from tests.factories import ClientFactory, ClientStatusRequestFactory, TherapistFactory

pytestmark = pytest.mark.browser

PASSWORD = "bell-browser-passphrase-2026"


def staff_answer(chromium, live_server, credentials, requests, answer, artifacts_dir):
    staff = chromium.new_context(viewport=SCREENS["desktop"], locale="en-CA").new_page()
    staff.set_default_timeout(DEFAULT_TIMEOUT_MS)
    admin_sign_in(staff, live_server, *credentials)
    expect(staff.locator("[data-notification-bell]")).to_be_visible()  # staff have theirs
    staff.screenshot(path=artifacts_dir / "notifications-admin-header.png")
    for request in requests:
        url = reverse(f"admin:caseload_clientstatusrequest_{answer}", args=[request.pk])
        staff.goto(f"{live_server.url}{url}")
        with staff.expect_navigation():
            staff.locator("form button[type=submit]").last.click()
    staff.context.close()


def test_the_bell_counts_the_answers_and_goes_down_as_they_are_followed(
    live_server, screen, chromium, superuser_credentials, artifacts_dir
):
    therapist = TherapistFactory()
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    lavoie = ClientFactory(primary_therapist=therapist, last_name="Lavoie")
    roy = ClientFactory(primary_therapist=therapist, last_name="Roy")
    requests = [ClientStatusRequestFactory(client=client) for client in (lavoie, roy)]
    someone_else = ClientStatusRequestFactory()  # another therapist's request

    screen.goto(f"{live_server.url}{reverse('portal:login')}")
    screen.fill("input[name=username]", therapist.user.username)
    screen.fill("input[name=password]", PASSWORD)
    with screen.expect_navigation():
        screen.click("button[type=submit]")
    bell = screen.locator("[data-notification-bell]")
    expect(bell).to_be_visible()
    expect(screen.locator("[data-notification-count]")).to_have_count(0)

    staff_answer(
        chromium,
        live_server,
        superuser_credentials,
        [*requests, someone_else],
        "approve",
        artifacts_dir,
    )

    screen.reload()
    expect(screen.locator("[data-notification-count]")).to_have_text("2")
    bell.click()
    expect(screen).to_have_url(f"{live_server.url}{reverse('notifications:portal')}")
    items = screen.locator("[data-notification]")
    expect(items).to_have_count(2)
    screen.screenshot(path=artifacts_dir / f"notifications-portal-{screen.screen_name}.png")
    screen.locator("[data-notification]", has_text="Lavoie").locator("[data-open]").click()

    expect(screen).to_have_url(f"{live_server.url}{reverse('portal:client', args=[lavoie.pk])}")
    expect(screen.locator("[data-notification-count]")).to_have_text("1")
    overflow = screen.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the header with its bell is wider than the screen"
