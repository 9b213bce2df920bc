"""Finance runs last month's invoices from the admin, issues one and downloads its PDF."""

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from backoffice.billing.models import Invoice, InvoiceStatus
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    PayerFactory,
    PayerRateFactory,
    ServiceTypeFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.browser


def last_month_at(day: int, hour: int = 10) -> datetime:
    first_of_this_month = timezone.localdate().replace(day=1)
    last_month = (first_of_this_month - timedelta(days=1)).replace(day=day)
    return timezone.make_aware(datetime.combine(last_month, time(hour)))


def completed(client, therapist, service_type, *, day, authorization=None):
    return AppointmentFactory(
        billing_client=client,
        therapist=therapist,
        service_type=service_type,
        authorization=authorization,
        starts_at=last_month_at(day),
        status="completed",
        fee_amount=Decimal("160.00"),
    )


def test_generate_last_month_issue_one_and_download_its_pdf(
    live_server, superuser_credentials, admin_login, artifacts_dir
):
    therapist = TherapistFactory(first_name="Ariane", last_name="Tessier")
    service_type = ServiceTypeFactory()
    payer = PayerFactory(name="Pacific Mutual")
    month_start = last_month_at(1).date()
    PayerRateFactory(
        payer=payer,
        service_type=service_type,
        effective_from=month_start - timedelta(days=90),
        amount=Decimal("150.00"),
    )
    authorization = AuthorizationFactory(
        payer=payer,
        client__first_name="Gaëlle",
        client__last_name="Bérubé",
        client__primary_therapist=therapist,
        valid_from=month_start - timedelta(days=30),
        valid_until=month_start + timedelta(days=90),
    )
    indirect = authorization.client
    completed(indirect, therapist, service_type, day=3, authorization=authorization)
    completed(indirect, therapist, service_type, day=10, authorization=authorization)
    direct = ClientFactory(
        kind="direct", first_name="Hélène", last_name="Côté", primary_therapist=therapist
    )
    completed(direct, therapist, service_type, day=5)

    page = admin_login(*superuser_credentials)
    page.goto(f"{live_server.url}/admin/billing/invoice/")
    page.get_by_role("link", name="Generate invoices for a month").click()
    page.wait_for_selector("#generate-invoices-form")
    page.fill("#id_month", f"{month_start:%Y-%m-%d}")
    with page.expect_navigation():
        page.locator("button[name=_generate]").click()

    expect(page.locator("body")).to_contain_text("3 session(s) invoiced; 2 new draft(s)")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Pacific Mutual")).to_contain_text("300.00")  # twice its rate
    expect(rows.filter(has_text="Pacific Mutual")).to_contain_text("Draft")
    expect(rows.filter(has_text="Côté")).to_contain_text("160.00")  # the appointment fee
    expect(rows.filter(has_text="Côté")).to_contain_text("Draft")

    draft = Invoice.objects.get(client=direct, payer=None)
    with page.expect_navigation():
        rows.filter(has_text="Côté").locator("th a, td a").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/billing/invoice/{draft.pk}/change/"))

    page.get_by_role("link", name="Issue").first.click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("button[type=submit]", has_text="Issue").click()
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED
    assert draft.number.startswith(f"INV-{timezone.localdate():%Y}-")
    expect(page.locator("body")).to_contain_text(f"Invoice {draft.number} issued.")

    page.goto(f"{live_server.url}/admin/billing/invoice/{draft.pk}/change/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert draft.number in text
    assert "Hélène" in text and "Côté" in text

    page.screenshot(path=str(artifacts_dir / "invoice.png"), full_page=True)
