"""Finance runs last month's therapist statements, previews one's email and downloads its PDF."""

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from backoffice.payouts.models import Statement, StatementStatus
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    TherapistFactory,
    TherapistRateFactory,
)

pytestmark = pytest.mark.browser


def last_month_at(day: int, hour: int = 10) -> datetime:
    first_of_this_month = timezone.localdate().replace(day=1)
    last_month = (first_of_this_month - timedelta(days=1)).replace(day=day)
    return timezone.make_aware(datetime.combine(last_month, time(hour)))


def test_run_last_month_preview_the_email_and_download_the_pdf(
    live_server, superuser_credentials, admin_login, artifacts_dir
):
    therapist = TherapistFactory(
        first_name="Ariane", last_name="Tessier", email="ariane@example.test"
    )
    month_start = last_month_at(1).date()
    TherapistRateFactory(
        therapist=therapist,
        effective_from=month_start - timedelta(days=90),
        session_price_amount=Decimal("120.00"),
        service_fee_kind="percent",
        service_fee_value=Decimal("30.00"),
    )
    client = ClientFactory(first_name="Gaëlle", last_name="Bérubé", primary_therapist=therapist)
    for day, paid in [(3, 20), (10, 24), (17, None)]:  # two paid out (84.00 each), one held
        AppointmentFactory(
            therapist=therapist,
            billing_client=client,
            starts_at=last_month_at(day),
            status="completed",
            attendance="online",
            room=None,
            paid_at=last_month_at(paid, 9) if paid else None,
        )

    page = admin_login(*superuser_credentials)
    page.goto(f"{live_server.url}/admin/payouts/statement/")
    page.get_by_role("link", name="Run statements for a month").click()
    page.wait_for_selector("#run-statements-form")
    page.fill("#id_month", f"{month_start:%Y-%m-%d}")
    with page.expect_navigation():
        page.locator("button[name=_run]").click()

    expect(page.locator("body")).to_contain_text("1 new draft(s)")
    expect(page.locator("body")).to_contain_text("2 session(s) paid out, 1 held.")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ariane Tessier")
    expect(rows.first).to_contain_text("168.00")
    expect(rows.first).to_contain_text("Draft")
    page.screenshot(path=str(artifacts_dir / "statements-run.png"), full_page=True)

    statement = Statement.objects.get(therapist=therapist)
    assert (statement.status, statement.net_amount) == (StatementStatus.DRAFT, Decimal("168.00"))
    with page.expect_navigation():
        rows.first.locator("th a, td a").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/payouts/statement/{statement.pk}/change/"))
    expect(page.locator("body")).to_contain_text("G. B. · #")  # clients by initials only
    expect(page.locator("body")).not_to_contain_text("Bérubé")

    with page.expect_navigation():
        page.get_by_role("link", name="Preview email").first.click()
    preview = page.locator("#statement-email-preview")
    expect(preview).to_contain_text("Ariane Tessier")
    expect(preview).to_contain_text("$168.00")
    expect(preview).to_contain_text("ariane@example.test")
    page.screenshot(path=str(artifacts_dir / "statement-email-preview.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the statement").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").first.click()
    download = download_info.value
    assert (
        download.suggested_filename == f"statement-{month_start:%Y-%m}-Tessier-{therapist.pk}.pdf"
    )
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Ariane Tessier" in text
    assert "168.00" in text

    page.screenshot(path=str(artifacts_dir / "statement.png"), full_page=True)

    # Send it, then record its payout from the list, as finance does for a whole payout run.
    page.get_by_role("link", name="Send by email").first.click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("button[type=submit]", has_text="Send").click()
    expect(page.locator("body")).to_contain_text("queued for email")
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SENT

    page.goto(f"{live_server.url}/admin/payouts/statement/")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "record_payouts_selected")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    page.wait_for_selector("#record-payouts-form")
    page.fill("#id_reference", "EFT 2026-11-30")
    page.screenshot(path=str(artifacts_dir / "statements-record-payout.png"), full_page=True)
    with page.expect_navigation():
        page.locator("button[name=_record]").click()
    expect(page.locator("body")).to_contain_text("1 statement marked paid.")
    statement.refresh_from_db()
    assert (statement.status, statement.payout_reference) == (
        StatementStatus.PAID,
        "EFT 2026-11-30",
    )
