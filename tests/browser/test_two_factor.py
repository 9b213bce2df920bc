"""A new staff member's first sign-in, on a phone and on a desktop: the password leads to
setting up an authenticator (its secret read off the page, as an app would scan it), the
recovery codes are shown once, and the next sign-in asks for the app's code."""

from base64 import b32decode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from backoffice.accounts.models import Role
from backoffice.accounts.services import roles_sync, user_create
from tests.accounts.codes import next_totp_code, totp_code
from tests.browser.conftest import fits_the_screen

pytestmark = pytest.mark.browser

PASSWORD = "two-factor-browser-passphrase-2026"


def sign_in_with_password(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def submit_code(page, code):
    page.fill("input[name=token]", code)
    with page.expect_navigation():
        page.click("#two-factor-form button[type=submit]")


def test_new_staff_enrol_then_sign_in_with_a_code(live_server, screen, artifacts_dir):
    roles_sync()
    user = user_create(
        username=f"new-staff-{screen.screen_name}", role=Role.ADMIN, password=PASSWORD
    )
    page = screen

    sign_in_with_password(page, live_server, user.username)
    assert page.url == f"{live_server.url}/two-factor/enrol/?next=%2F", page.url
    expect(page.locator("img[data-qr-code]")).to_be_visible()
    fits_the_screen(page)
    page.screenshot(path=str(artifacts_dir / f"two-factor-enrol-{screen.screen_name}.png"))
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    submit_code(page, totp_code(b32decode(secret)))

    codes = page.locator("[data-recovery-codes] li")
    expect(codes).to_have_count(10)
    fits_the_screen(page)
    with page.expect_navigation():
        page.get_by_text("I have kept them; continue").click()
    assert page.url == f"{live_server.url}/admin/", page.url
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    page.context.clear_cookies()
    sign_in_with_password(page, live_server, user.username)
    assert page.url == f"{live_server.url}/two-factor/verify/?next=%2F", page.url
    fits_the_screen(page)
    submit_code(page, next_totp_code(TOTPDevice.objects.get(user=user)))
    assert page.url == f"{live_server.url}/admin/", page.url
