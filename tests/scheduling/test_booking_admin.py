"""The appointment admin books, records attendance and books series through the services."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus
from backoffice.scheduling.services import appointment_book
from tests.factories import AppointmentFactory, AppointmentSeriesFactory
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db

S = AppointmentStatus
ADD_URL = reverse("admin:scheduling_appointment_add")
LIST_URL = reverse("admin:scheduling_appointment_changelist")
SERIES_URL = reverse("admin:scheduling_appointment_book_series")
PAST = timezone.now().replace(microsecond=0) - timedelta(days=2)


def form_data(clinic, starts_at=None, **overrides):
    starts_at = timezone.localtime(starts_at or local(2026, 3, 2, 10))
    return {
        "therapist": clinic.therapist.pk,
        "billing_client": clinic.client.pk,
        "clients": [],
        "service_type": clinic.service_type.pk,
        "starts_at_0": f"{starts_at:%Y-%m-%d}",
        "starts_at_1": f"{starts_at:%H:%M}",
        "ends_at_0": "",
        "ends_at_1": "",
        "attendance": "in-person",
        "room": clinic.room.pk,
        "fee_amount": "",
        "authorization": "",
        "notes": "",
        **overrides,
    }


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_add_form_books_through_the_service(admin_client, clinic, superuser):
    response = admin_client.post(ADD_URL, form_data(clinic))
    assert response.status_code == 302, response.context["adminform"].form.errors
    appointment = Appointment.objects.get()
    assert appointment.ends_at == local(2026, 3, 2, 10, 50)
    assert appointment.fee_amount == clinic.service_type.default_fee_amount
    assert list(appointment.clients.all()) == [clinic.client]
    assert appointment.history.earliest().history_user == superuser


def test_a_conflict_is_a_form_error_naming_the_other_appointment(admin_client, clinic):
    taken = appointment_book(**clinic.booking()).appointment
    response = admin_client.post(ADD_URL, form_data(clinic, local(2026, 3, 2, 10, 20)))
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(f"appointment #{taken.pk}" in error for error in errors)
    assert f"appointment #{taken.pk}" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_missing_authorization_is_a_warning_not_a_refusal(admin_client, clinic):
    clinic.client.kind = "indirect"
    clinic.client.save()
    response = admin_client.post(ADD_URL, form_data(clinic), follow=True)
    assert Appointment.objects.count() == 1
    assert any("No authorization" in message for message in messages_of(response))


def test_editing_keeps_the_checks_and_ignores_the_appointment_itself(admin_client, clinic):
    appointment = appointment_book(**clinic.booking()).appointment
    other = appointment_book(**clinic.booking(starts_at=local(2026, 3, 2, 11))).appointment
    url = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    moved = form_data(clinic, local(2026, 3, 2, 10, 10), fee_amount="160.00")
    assert admin_client.post(url, moved).status_code == 302
    refused = admin_client.post(url, form_data(clinic, local(2026, 3, 2, 10, 30)))
    assert f"#{other.pk}" in str(refused.context["adminform"].form.non_field_errors())
    appointment.refresh_from_db()
    assert appointment.starts_at == local(2026, 3, 2, 10, 10)


def bulk(admin_client, action, appointments):
    return admin_client.post(
        LIST_URL,
        {"action": action, "_selected_action": [a.pk for a in appointments]},
        follow=True,
    )


def test_bulk_complete_reports_each_refusal_and_completes_the_rest(admin_client, superuser):
    done = AppointmentFactory(starts_at=PAST)
    cancelled = AppointmentFactory(starts_at=PAST, status=S.CANCELLED)
    response = bulk(admin_client, "complete_selected", [done, cancelled])
    assert response.status_code == 200
    done.refresh_from_db()
    assert done.status == S.COMPLETED
    assert done.history.latest().history_user == superuser
    messages = messages_of(response)
    assert "1 appointment(s) completed." in messages
    assert any(f"#{cancelled.pk}" in m and "cannot be completed" in m for m in messages)


@pytest.mark.parametrize(
    "action, expected",
    [("cancel_selected", S.LATE_CANCELLED), ("no_show_selected", S.NO_SHOW)],
)
def test_bulk_cancel_and_no_show(admin_client, action, expected):
    appointment = AppointmentFactory(starts_at=PAST)
    bulk(admin_client, action, [appointment])
    appointment.refresh_from_db()
    assert appointment.status == expected


def test_bulk_cancel_rest_of_series(admin_client, clinic):
    from backoffice.scheduling.services import appointment_series_book

    later = timezone.localtime(timezone.now() + timedelta(days=14)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    result = appointment_series_book(
        frequency="weekly",
        occurrence_count=3,
        **clinic.booking(starts_at=later, attendance="online", room=None),
    )
    response = bulk(admin_client, "cancel_rest_selected", [result.appointments[1]])
    statuses = [a.status for a in Appointment.objects.order_by("starts_at")]
    assert statuses == [S.SCHEDULED, S.CANCELLED, S.CANCELLED]
    assert "The rest of 1 series cancelled." in messages_of(response)


def test_a_bulk_action_costs_the_same_queries_per_appointment(admin_client):
    def queries_for(count):
        appointments = AppointmentFactory.create_batch(count, starts_at=PAST)
        with CaptureQueriesContext(connection) as queries:
            admin_client.post(
                LIST_URL,
                {"action": "no_show_selected", "_selected_action": [a.pk for a in appointments]},
            )
        return len(queries)

    queries_for(1)  # the first request of a session saves it once
    two, four, six = queries_for(2), queries_for(4), queries_for(6)
    per_appointment = (four - two) / 2
    assert six - four == four - two
    # Lock, update, history (with its clients) and the Bad Fit rules: a fixed cost each.
    assert per_appointment <= 20


def row_action(admin_client, name, appointment, **data):
    url = reverse(f"admin:scheduling_appointment_{name}", args=[appointment.pk])
    return admin_client.post(url, {"_form_submitted": "True", **data}, HTTP_HX_REQUEST="true")


def test_a_row_action_asks_first_then_records_who_did_it(admin_client, superuser):
    appointment = AppointmentFactory(starts_at=PAST)
    url = reverse("admin:scheduling_appointment_complete_one", args=[appointment.pk])
    dialog = admin_client.get(url)
    assert dialog.status_code == 200 and 'id="dialog"' in dialog.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED
    response = row_action(admin_client, "complete_one", appointment)
    assert response.status_code == 200 and response.headers["HX-Redirect"]
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED
    assert appointment.history.latest().history_user == superuser


def test_the_cancel_dialog_takes_a_missed_session_fee(admin_client):
    appointment = AppointmentFactory(starts_at=timezone.now() + timedelta(hours=3))
    row_action(admin_client, "cancel_one", appointment, missed_session_fee_amount="45.00")
    appointment.refresh_from_db()
    assert appointment.status == S.LATE_CANCELLED
    assert str(appointment.missed_session_fee_amount) == "45.00"


def test_a_refused_row_action_is_a_message_not_an_error_page(admin_client):
    appointment = AppointmentFactory(starts_at=timezone.now() + timedelta(days=3))
    response = row_action(admin_client, "no_show_one", appointment)
    assert response.status_code == 200
    assert any("before" in message for message in messages_of(response))
    response = row_action(admin_client, "cancel_rest_one", appointment)
    assert any("not part of a series" in message for message in messages_of(response))


def series_data(clinic, **overrides):
    return {**form_data(clinic), "frequency": "weekly", "occurrence_count": "4", **overrides}


def test_the_series_page_lists_every_conflict_before_saving(admin_client, clinic):
    assert admin_client.get(SERIES_URL).status_code == 200
    second = appointment_book(**clinic.booking(starts_at=local(2026, 3, 9, 10))).appointment
    fourth = appointment_book(**clinic.booking(starts_at=local(2026, 3, 23, 10, 40))).appointment
    response = admin_client.post(SERIES_URL, series_data(clinic))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-03-09:" in html and f"#{second.pk}" in html
    assert "2026-03-23:" in html and f"#{fourth.pk}" in html
    assert not AppointmentSeries.objects.exists()
    assert Appointment.objects.count() == 2


def test_the_series_page_books_the_series(admin_client, clinic):
    response = admin_client.post(SERIES_URL, series_data(clinic, frequency="biweekly"))
    series = AppointmentSeries.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:scheduling_appointmentseries_change", args=[series.pk])
    assert series.appointments.count() == 4
    page = admin_client.get(response.url).content.decode()
    assert "2026-03-16" in page or "March 16, 2026" in page or "16 March 2026" in page


def test_the_series_list_and_page_open(admin_client):
    series = AppointmentSeriesFactory()
    AppointmentFactory(series=series, therapist=series.therapist)
    assert (
        admin_client.get(reverse("admin:scheduling_appointmentseries_changelist")).status_code
        == 200
    )
    change = reverse("admin:scheduling_appointmentseries_change", args=[series.pk])
    assert admin_client.get(change).status_code == 200


def test_the_client_column_links_to_that_clients_appointments(admin_client):
    mine = AppointmentFactory()
    AppointmentFactory()
    html = admin_client.get(LIST_URL, {"when": "all"}).content.decode()
    link = f"?billing_client__id__exact={mine.billing_client_id}"
    assert link in html
    listed = admin_client.get(LIST_URL + link).context["cl"].result_list
    assert [a.pk for a in listed] == [mine.pk]
