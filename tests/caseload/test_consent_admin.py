"""Staff record a client's consent to reminders on the client's page (docs/rules.md, Clients'
pages): a changed consent box is saved as a consent record with how, when and by whom, and
the page lists the records."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from backoffice.caseload.models import ConsentMethod, ContactConsent
from backoffice.messaging.models import Channel
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 14, 10, 0, tzinfo=ZoneInfo("America/Vancouver"))


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def change_form_data(admin_client, url) -> dict:
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
    return data


def test_a_consent_box_ticked_by_staff_is_recorded_with_its_method(clock, admin_client, superuser):
    person = ClientFactory(phone="604-555-0142")
    url = reverse("admin:caseload_client_change", args=[person.pk])
    data = change_form_data(admin_client, url)
    data.update(
        sms_consent="on",
        consent_method=ConsentMethod.PHONE,
        consent_note="Called to book; agreed to texts.",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.sms_consent
    [record] = ContactConsent.objects.filter(client=person)
    assert (record.channel, record.given, record.method) == (
        Channel.SMS,
        True,
        ConsentMethod.PHONE,
    )
    assert (record.recorded_at, record.recorded_by) == (NOW, superuser)
    assert record.note == "Called to book; agreed to texts."
    page = admin_client.get(url).content.decode()
    assert "Called to book; agreed to texts." in page  # the consent records inline


def test_a_consent_change_without_how_is_refused(admin_client):
    person = ClientFactory(email_consent=True)
    url = reverse("admin:caseload_client_change", args=[person.pk])
    data = change_form_data(admin_client, url)
    data.update(email_consent="")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "consent_method" in response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.email_consent
    assert not ContactConsent.objects.exists()


def test_other_changes_record_no_consent(admin_client):
    person = ClientFactory(email_consent=True)
    url = reverse("admin:caseload_client_change", args=[person.pk])
    data = change_form_data(admin_client, url)
    data.update(first_name="Maëlle")
    assert admin_client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.first_name == "Maëlle" and person.email_consent
    assert not ContactConsent.objects.exists()


def test_a_new_client_with_consent_gets_its_record(admin_client, superuser):
    person = ClientFactory.build()
    data = change_form_data(admin_client, reverse("admin:caseload_client_add"))
    data.update(
        kind=person.kind,
        first_name="Inès",
        last_name="Tremblay",
        date_of_birth="1990-05-02",
        primary_therapist=ClientFactory().primary_therapist.pk,
        email="ines@example.test",
        preferred_language="en",
        reminder_channel="email",
        is_active="on",
        email_consent="on",
        consent_method=ConsentMethod.IN_PERSON,
    )
    response = admin_client.post(reverse("admin:caseload_client_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [record] = ContactConsent.objects.all()
    assert record.client.email_consent
    assert (record.channel, record.method, record.recorded_by) == (
        Channel.EMAIL,
        ConsentMethod.IN_PERSON,
        superuser,
    )
