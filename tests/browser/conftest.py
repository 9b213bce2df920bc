"""Fixtures for end-to-end tests in headless Chromium (tests marked ``browser``).

Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright's sync API.
Playwright's own browser downloads (``playwright install``) cannot be fetched here, so the
fixtures never use them: where /usr/bin/chromium is missing, every browser test is skipped
with the command that installs it.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.accounts.codes import next_totp_code, verified_device

CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_MISSING = f"Chromium not installed at {CHROMIUM_PATH}; `apt-get install -y chromium`"
# Without the networking flags Chromium keeps calling Google's hosts, which this closed
# network refuses; --no-sandbox because tests and CI run as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "var" / "test-artifacts"
DEFAULT_TIMEOUT_MS = 15_000
# The two sizes the portal and the client pages are checked at: a phone and a desktop.
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
# Chromium logs every Content-Security-Policy refusal to the console; the listener also logs
# the ones it would not (a violation in a frame, a report-only policy), with what was blocked.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => console.error(
    `Content Security Policy violation: ${event.effectiveDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber} on ${event.documentURI}`
));
"""


class CspWatchedBrowser:
    """The Playwright ``Browser``, whose every context (the fixtures' and those tests open
    themselves) records the page's Content-Security-Policy violations in ``violations``."""

    def __init__(self, browser):
        self.browser = browser
        self.violations = []

    def new_context(self, **options):
        context = self.browser.new_context(**options)
        context.add_init_script(CSP_VIOLATION_LISTENER)
        context.on("console", self.record)
        return context

    def record(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.page.url if message.page else ''}: {message.text}")

    def __getattr__(self, name):
        return getattr(self.browser, name)


@pytest.fixture(scope="package")
def chromium():
    """One headless Debian Chromium (a Playwright ``Browser``) for all tests in tests/browser.

    Package scope: Playwright stops, and the environment is restored, before tests outside
    this package run.
    """
    if not CHROMIUM_PATH.exists():
        pytest.skip(CHROMIUM_MISSING)
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as env:
        # Playwright's sync API keeps an asyncio event loop running in the test thread, and
        # Django then refuses ORM calls from that thread (SynchronousOnlyOperation): the test's
        # own fixtures and the teardown flush. Those calls are plain synchronous code, so the
        # check is lifted while Playwright runs; the live server answers from its own thread.
        # Never set process-wide: subprocesses inherit it (`check --deploy` reports async.E001).
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM_PATH),
                headless=True,
                args=CHROMIUM_ARGS,
            )
            try:
                yield CspWatchedBrowser(browser)
            finally:
                browser.close()


@pytest.fixture(autouse=True)
def no_csp_violation(chromium):
    """Every browser test fails if a page it opened broke the Content-Security-Policy (a
    script, style or request the policy refused: the page does not work as written)."""
    chromium.violations.clear()
    yield
    assert not chromium.violations, "\n".join(chromium.violations)


@pytest.fixture
def browser_page(chromium):
    """A fresh page in its own context (no cookies shared between tests)."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-CA")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def artifacts_dir():
    """var/test-artifacts/, where browser tests leave screenshots for people to look at."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def superuser_credentials(django_user_model):
    """A superuser with a known password: (username, password)."""
    username, password = "browser-admin", "browser-test-passphrase-2026"
    user = django_user_model(
        username=username, email="browser-admin@caseload.example", is_staff=True, is_superuser=True
    )
    user.set_password(password)
    user.save()
    return username, password


def admin_sign_in(page, live_server, username, password):
    """Signs in through the admin login form, as a person would (so django-axes sees a real
    request), then types the code of the user's authenticator (made for them when they have
    none) on the two-factor page; the page ends where the sign-in redirected to."""
    device = verified_device(get_user_model().objects.get(username=username))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if device is not None:
        assert "/two-factor/verify/" in page.url, page.url
        page.fill("input[name=token]", next_totp_code(device))
        with page.expect_navigation():
            page.click("#two-factor-form button[type=submit]")
    return page


@pytest.fixture
def admin_login(live_server, browser_page):
    """admin_sign_in on the test's page; returns the page."""

    def login(username, password):
        return admin_sign_in(browser_page, live_server, username, password)

    return login


@pytest.fixture(params=list(SCREENS))
def screen(request, chromium):
    """A page in a fresh browser context at each of the two screen sizes."""
    context = chromium.new_context(viewport=SCREENS[request.param], locale="en-CA")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.screen_name = request.param
    try:
        yield page
    finally:
        context.close()


def fits_the_screen(page):
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.screen_name}: the page is {overflow}px wider than the screen"
