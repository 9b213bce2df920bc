"""Staff book an appointment in the admin, then complete one and cancel another from the list."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.scheduling.models import Appointment, AppointmentStatus
from backoffice.scheduling.services import appointment_book
from tests.factories import (
    ClientFactory,
    RoomFactory,
    RoomReservationFactory,
    ServiceTypeFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.browser


def pick(page, select_id: str, value: int, label: str) -> None:
    """Choose an option of an autocomplete (select2) field as its AJAX search would add it."""
    page.evaluate(
        """([selector, value, label]) => {
            const select = document.querySelector(selector);
            select.add(new Option(label, value, true, true));
            select.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        [f"#{select_id}", str(value), label],
    )


def row_action(page, row_text: str, action: str, submit: str) -> None:
    """Open a list row's action menu, choose an action, confirm its dialog."""
    row = page.locator("#result_list tbody tr", has_text=row_text)
    row.locator("span", has_text="more_horiz").click()
    page.locator("nav a", has_text=action).locator("visible=true").first.click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("button[type=submit]", has_text=submit).click()


def test_book_then_complete_one_and_cancel_another(
    live_server, superuser_credentials, admin_login, artifacts_dir
):
    therapist = TherapistFactory(first_name="Ariane", last_name="Tessier")
    room = RoomFactory(name="Cedar")
    today = timezone.localdate()
    last_week_monday = today - timedelta(days=today.weekday() + 7)
    RoomReservationFactory(
        therapist=therapist,
        room=room,
        weekday=0,
        start_time="09:00",
        end_time="13:00",
        valid_from=last_week_monday - timedelta(days=60),
    )
    service_type = ServiceTypeFactory()
    booked_client = ClientFactory(
        first_name="Noémie", last_name="Gagnon", primary_therapist=therapist
    )
    later_client = ClientFactory(first_name="Thierry", last_name="Roy", primary_therapist=therapist)
    in_three_weeks = last_week_monday + timedelta(weeks=3)
    appointment_book(
        therapist=therapist,
        billing_client=later_client,
        service_type=service_type,
        starts_at=timezone.make_aware(datetime.combine(in_three_weeks, time(11))),
        attendance="in-person",
        room=room,
    )

    page = admin_login(*superuser_credentials)
    page.goto(f"{live_server.url}/admin/scheduling/appointment/add/")
    pick(page, "id_therapist", therapist.pk, str(therapist))
    pick(page, "id_billing_client", booked_client.pk, str(booked_client))
    pick(page, "id_service_type", service_type.pk, str(service_type))
    pick(page, "id_room", room.pk, str(room))
    page.fill("#id_starts_at_0", f"{last_week_monday:%Y-%m-%d}")
    page.fill("#id_starts_at_1", "10:00")
    with page.expect_navigation():
        page.locator("button[name=_save]").click()
    expect(page.locator("body")).to_contain_text("was added successfully")
    # The list opens on today; these two are last week and in three weeks.
    page.goto(f"{live_server.url}/admin/scheduling/appointment/?when=all")
    booked = Appointment.objects.get(billing_client=booked_client)
    assert booked.fee_amount == service_type.default_fee_amount
    assert list(booked.clients.all()) == [booked_client]

    row_action(page, "Gagnon", "Complete", "Confirm")
    expect(page.locator("#result_list tbody tr", has_text="Gagnon")).to_contain_text("Completed")
    row_action(page, "Roy", "Cancel", "Cancel the appointment")
    expect(page.locator("#result_list tbody tr", has_text="Roy")).to_contain_text("Cancelled")
    page.screenshot(path=str(artifacts_dir / "appointments-after-actions.png"), full_page=True)

    statuses = dict(Appointment.objects.values_list("billing_client__last_name", "status"))
    assert statuses == {"Gagnon": AppointmentStatus.COMPLETED, "Roy": AppointmentStatus.CANCELLED}
