"""Every registered model's list, add, change and history pages open for a superuser."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from backoffice.billing.models import SetAsideDecision
from backoffice.messaging.models import MessageTemplate
from tests.factories import (
    AppointmentFactory,
    AppointmentSeriesFactory,
    AuthorizationFactory,
    BadFitEntryFactory,
    DocumentCounterFactory,
    InvoiceLineFactory,
    OutboxMessageFactory,
    PayerRateFactory,
    ReceiptFactory,
    RoomReservationFactory,
    StatementLineFactory,
    TherapistRateFactory,
)

MODELS = list(admin.site._registry)


@pytest.fixture
def one_of_everything(db):
    appointment = AppointmentFactory()
    authorization = AuthorizationFactory(client=appointment.billing_client)
    SetAsideDecision.objects.create(
        appointment=appointment,
        authorization=authorization,
        reason="over-approved",
        outcome="write-off",
        decided_at=timezone.now(),
    )
    PayerRateFactory(service_type=appointment.service_type)
    TherapistRateFactory(therapist=appointment.therapist)
    RoomReservationFactory(therapist=appointment.therapist, room=appointment.room)
    OutboxMessageFactory()
    BadFitEntryFactory(client=appointment.billing_client)
    AppointmentSeriesFactory(therapist=appointment.therapist)
    ReceiptFactory()  # and its payment
    InvoiceLineFactory(invoice__client=appointment.billing_client)
    DocumentCounterFactory()
    StatementLineFactory()  # and its statement
    MessageTemplate.objects.create(
        purpose="invoice", language="en", subject="Invoice {invoice_number}", body_text="{total}"
    )
    Group.objects.create(name="admin")
    AccessAttempt.objects.create(
        username="someone",
        ip_address="127.0.0.1",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/",
    )
    AccessLog.objects.create(
        username="someone", ip_address="127.0.0.1", http_accept="", path_info="/"
    )


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_opens(admin_client, one_of_everything, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_add_page_opens_where_staff_may_add(admin_client, rf, superuser, one_of_everything, model):
    request = rf.get("/")
    request.user = superuser
    may_add = admin.site._registry[model].has_add_permission(request)
    response = admin_client.get(_url(model, "add"))
    assert response.status_code == (200 if may_add else 403)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_change_and_history_pages_open(admin_client, one_of_everything, model):
    instance = model.objects.first()
    assert instance is not None, f"no {model._meta.label} to open"
    assert admin_client.get(_url(model, "change", instance.pk)).status_code == 200
    assert admin_client.get(_url(model, "history", instance.pk)).status_code == 200


def test_index_shows_the_clinic_sidebar(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()
    for group in ["Scheduling", "Clients", "Billing", "Payouts", "Settings"]:
        assert group in content
    assert "Caseload" in content
