"""Changes to clinical-administrative records keep who and when (docs/quality.md, History)."""

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory, AuthorizationFactory, ClientFactory

pytestmark = pytest.mark.django_db


def test_an_admin_edit_records_the_staff_member(admin_client, superuser):
    client = ClientFactory(first_name="Béatrice")
    url = reverse("admin:caseload_client_change", args=[client.pk])
    page = admin_client.get(url).context
    form = page["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {
                management[name].html_name: management[name].value()
                for name in ("TOTAL_FORMS", "INITIAL_FORMS")
            }
        )
    data.update({"first_name": "Bea", "is_active": "on"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = client.history.latest()
    assert latest.first_name == "Bea"
    assert latest.history_user == superuser
    assert latest.prev_record.first_name == "Béatrice"


def test_appointments_and_authorizations_keep_history():
    appointment = AppointmentFactory()
    appointment.status = "completed"
    appointment.save()
    authorization = AuthorizationFactory()
    authorization.sessions_approved = 20
    authorization.save()
    assert appointment.history.latest().status == "completed"
    assert appointment.history.earliest().status == "scheduled"
    assert authorization.history.count() == 2
