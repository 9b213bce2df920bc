"""A self-paying client pays at the session: staff complete the session from the appointment
list, take the payment from the same row, the receipt exists and the client is no longer red;
the month's invoice is then generated already paid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.billing.models import Invoice, Receipt
from backoffice.billing.selectors import ClientStatus, client_status
from backoffice.scheduling.services import appointment_book
from tests.browser.test_booking import row_action
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ServiceTypeFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.browser


def test_take_payment_at_the_session_then_the_months_invoice_is_born_paid(
    live_server, superuser_credentials, admin_login, artifacts_dir
):
    therapist = TherapistFactory(first_name="Ariane", last_name="Tessier")
    client = ClientFactory(
        kind="direct", first_name="Hélène", last_name="Côté", primary_therapist=therapist
    )
    service_type = ServiceTypeFactory()
    started = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    session = appointment_book(
        therapist=therapist,
        billing_client=client,
        service_type=service_type,
        starts_at=started,
        attendance="online",
        fee_amount=Decimal("160.00"),
    ).appointment
    AppointmentFactory(  # an older session still unpaid, in another month
        therapist=therapist,
        billing_client=client,
        service_type=service_type,
        attendance="online",
        room=None,
        starts_at=started - timedelta(days=40),
        status="completed",
    )

    page = admin_login(*superuser_credentials)
    page.goto(
        f"{live_server.url}/admin/scheduling/appointment/?billing_client__id__exact={client.pk}"
    )
    when = f"{timezone.localtime(started):%Y-%m-%d %H:%M}"
    row_action(page, when, "Complete", "Confirm")
    assert client_status(client=client) == ClientStatus.RED  # two sessions unpaid

    row = page.locator("#result_list tbody tr", has_text=when)
    row.locator("span", has_text="more_horiz").click()
    with page.expect_navigation():
        page.locator("nav a", has_text="Take payment").locator("visible=true").first.click()
    form = page.locator("#take-payment-form")
    expect(page.locator("body")).to_contain_text("Take payment from Hélène Côté")
    expect(form.locator(f"input[name=sessions][value='{session.pk}']")).to_be_checked()
    expect(form.locator("input[name=amount]")).to_have_value("160.00")
    page.screenshot(path=str(artifacts_dir / "take-payment.png"), full_page=True)
    with page.expect_navigation():
        form.locator("button[name=_take]").click()

    receipt = Receipt.objects.get(payment__client=client)
    expect(page.locator("body")).to_contain_text(f"receipt {receipt.number}")
    expect(page.locator("body")).to_contain_text(receipt.number)  # the payment's receipt link
    assert client_status(client=client) == ClientStatus.NORMAL

    page.goto(f"{live_server.url}/admin/caseload/client/?q=C%C3%B4t%C3%A9")
    expect(page.locator("#result_list tbody tr", has_text="Côté")).to_contain_text("Normal")

    month = timezone.localdate(started).replace(day=1)
    page.goto(f"{live_server.url}/admin/billing/invoice/")
    page.get_by_role("link", name="Generate invoices for a month").click()
    page.wait_for_selector("#generate-invoices-form")
    page.fill("#id_month", f"{month:%Y-%m-%d}")
    with page.expect_navigation():
        page.locator("button[name=_generate]").click()

    invoice = Invoice.objects.get(client=client, period_start=month)
    assert invoice.paid_amount == invoice.total_amount == Decimal("160.00")
    invoice_row = page.locator("#result_list tbody tr", has_text="Côté")
    expect(invoice_row).to_contain_text("Paid")
    expect(invoice_row).not_to_contain_text("Partly paid")
    page.screenshot(path=str(artifacts_dir / "invoice-born-paid.png"), full_page=True)
