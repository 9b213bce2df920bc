"""A therapist's journeys through the portal, on a phone (390 px wide) and on a desktop: an
alert leads to uploading renewal documents and the client turns pink; a deactivation request
goes to staff, who approve it, and the therapist sees the answer; a no-show is recorded; a
statement is opened."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.caseload.models import ClientStatusRequest
from backoffice.payouts.models import StatementStatus
from backoffice.scheduling.models import AppointmentStatus, BadFitEntry
from tests.browser.conftest import SCREENS, admin_sign_in, fits_the_screen
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    StatementLineFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.browser

PASSWORD = "portal-browser-passphrase-2026"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def therapist():
    therapist = TherapistFactory(first_name="Noémie", last_name="Bouchard")
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    return therapist


def sign_in(page, live_server, therapist):
    page.goto(f"{live_server.url}{reverse('portal:login')}")
    page.fill("input[name=username]", therapist.user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_an_alert_leads_to_renewal_documents_and_the_client_turns_pink(
    live_server, screen, therapist, tmp_path, artifacts_dir
):
    authorization = AuthorizationFactory(
        client__primary_therapist=therapist,
        client__last_name="Pelletier",
        sessions_approved=2,
        payer__renewal_requirements="Progress report on form PR-7.",
    )
    report = tmp_path / "progress-report.pdf"
    report.write_bytes(PDF)

    sign_in(screen, live_server, therapist)
    alert = screen.locator(".alert", has_text="Pelletier")
    expect(alert).to_be_visible()
    expect(screen.locator("[data-alert-count]")).to_have_text("1")
    fits_the_screen(screen)
    alert.get_by_role("link", name="Upload renewal documents").click()
    expect(screen.get_by_text("Progress report on form PR-7.")).to_be_visible()
    screen.set_input_files("input[name=document]", str(report))
    screen.fill("textarea[name=note]", "Report attached.")
    screen.get_by_role("button", name="Save").click()

    expect(screen.get_by_role("status")).to_contain_text("Renewal documents sent")
    expect(screen.locator("h1 .badge-pink")).to_be_visible()
    fits_the_screen(screen)
    screen.screenshot(path=artifacts_dir / f"portal-renewal-{screen.screen_name}.png")
    authorization.refresh_from_db()
    assert authorization.renewal_document


def test_a_deactivation_request_is_approved_by_staff_and_the_therapist_sees_it(
    live_server, screen, therapist, chromium, superuser_credentials
):
    mine = ClientFactory(primary_therapist=therapist, last_name="Lavoie")

    sign_in(screen, live_server, therapist)
    screen.goto(f"{live_server.url}{reverse('portal:client', args=[mine.pk])}")
    screen.fill("textarea[name=reason]", "Treatment completed.")
    screen.get_by_role("button", name="Send the request").click()
    expect(screen.get_by_role("status")).to_contain_text("sent to staff")

    staff = chromium.new_context(viewport=SCREENS["desktop"], locale="en-CA").new_page()
    admin_sign_in(staff, live_server, *superuser_credentials)
    request = ClientStatusRequest.objects.get(client=mine)
    approve = reverse("admin:caseload_clientstatusrequest_approve", args=[request.pk])
    staff.goto(f"{live_server.url}{approve}")
    staff.fill("textarea[name=note]", "Closed the file.")
    with staff.expect_navigation():
        staff.locator("form button[type=submit]").last.click()
    staff.context.close()

    screen.goto(f"{live_server.url}{reverse('portal:home')}")
    answered = screen.locator(".requests li", has_text="Lavoie")
    expect(answered).to_contain_text("Approved")
    expect(answered).to_contain_text("Closed the file.")
    fits_the_screen(screen)


def test_recording_a_no_show_from_the_schedule(live_server, screen, therapist):
    start = timezone.now() - timedelta(hours=3)
    missed = AppointmentFactory(
        therapist=therapist,
        billing_client__last_name="Gauthier",
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
    )

    sign_in(screen, live_server, therapist)
    screen.goto(f"{live_server.url}{reverse('portal:schedule')}?period=past")
    row = screen.locator("tr", has_text="Gauthier")
    row.get_by_role("link", name="Record").click()
    screen.get_by_label("No-show").check()
    screen.get_by_role("button", name="Save").click()

    expect(screen.get_by_role("status")).to_contain_text("No-show")
    missed.refresh_from_db()
    assert missed.status == AppointmentStatus.NO_SHOW
    assert BadFitEntry.objects.filter(client=missed.billing_client).exists()
    fits_the_screen(screen)


def test_opening_a_statement(live_server, screen, therapist):
    StatementLineFactory(statement__therapist=therapist, statement__status=StatementStatus.SENT)

    sign_in(screen, live_server, therapist)
    screen.get_by_role("link", name="My statements").click()
    expect(screen.get_by_role("heading", name="My statements")).to_be_visible()
    fits_the_screen(screen)
    with screen.expect_download() as download:
        screen.get_by_role("link", name="Download").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
