"""A client confirms their session from the email reminder: the link taken from the email the
SMTP server received opens a phone-sized page, the button confirms, and staff see the session
confirmed through the email link."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.caseload.models import ReminderChannel
from backoffice.messaging.models import Channel
from backoffice.reminders.models import ReminderOffset
from backoffice.reminders.services import reminders_send_due
from backoffice.scheduling.models import Appointment, ConfirmedVia
from backoffice.scheduling.services import appointment_book
from tests.factories import ClientFactory, ServiceTypeFactory
from tests.peers.smtp import body_text

pytestmark = pytest.mark.browser


def test_the_emailed_confirm_link_confirms_the_session(
    live_server,
    settings,
    smtp_server,
    browser_page,
    superuser_credentials,
    admin_login,
    artifacts_dir,
):
    settings.SITE_URL = live_server.url
    # An earlier transactional test may have flushed the default reminder times.
    ReminderOffset.objects.get_or_create(channel=Channel.EMAIL, hours_before=48)
    client = ClientFactory(
        first_name="Hélène",
        reminder_channel=ReminderChannel.EMAIL,
        email_consent=True,
    )
    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=30)
    appointment = appointment_book(  # planned on commit: the 48-hour email goes at once
        therapist=client.primary_therapist,
        billing_client=client,
        service_type=ServiceTypeFactory(),
        starts_at=starts_at,
        attendance="online",
    ).appointment
    assert reminders_send_due() == 1
    [email] = smtp_server.wait_for(1)
    confirm_link = re.search(r"https?://\S+/confirm/", body_text(email)).group(0)

    page = browser_page  # nobody signed in: the link is enough
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(confirm_link)
    expect(page.get_by_role("heading", name="Confirm your appointment")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Confirm my appointment").click()
    expect(page.get_by_role("status")).to_contain_text("Your appointment is confirmed")
    page.screenshot(path=artifacts_dir / "reminder-link-confirmed.png")

    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.confirmed_via == ConfirmedVia.EMAIL_LINK
    page.set_viewport_size({"width": 1440, "height": 900})
    admin_login(*superuser_credentials)
    page.goto(f"{live_server.url}/admin/scheduling/appointment/{appointment.pk}/change/")
    expect(page.get_by_text("Link in the email reminder")).to_be_visible()
