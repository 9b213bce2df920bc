"""Every registered model's list, add, change and history pages open for a superuser; every
URL that names an object answers a bad id with 404 (never 500), and a GET changes nothing."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from backoffice.access.models import AccessRecord
from backoffice.billing.models import SetAsideDecision
from backoffice.messaging.models import InboundSms, MessageTemplate
from backoffice.reports.admin import forms as report_forms
from tests.factories import (
    AppointmentFactory,
    AppointmentSeriesFactory,
    AuthorizationFactory,
    BadFitEntryFactory,
    ClientFactory,
    ClientStatusRequestFactory,
    DocumentCounterFactory,
    InvoiceLineFactory,
    OutboxMessageFactory,
    PayerRateFactory,
    ReceiptFactory,
    RoomReservationFactory,
    StatementLineFactory,
    TaskFactory,
    TherapistFactory,
    TherapistRateFactory,
    UserFactory,
    security_records,
)
from tests.portal.client_helpers import sign_in_as

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
    InboundSms.objects.create(
        provider_message_id="0A00000001",
        sender="+16045550142",
        text="C",
        received_at=timezone.now(),
    )
    OutboxMessageFactory()
    BadFitEntryFactory(client=appointment.billing_client)
    ClientStatusRequestFactory(client=appointment.billing_client)
    TaskFactory()
    AppointmentSeriesFactory(therapist=appointment.therapist)
    ReceiptFactory()  # and its payment
    InvoiceLineFactory(invoice__client=appointment.billing_client)
    DocumentCounterFactory()
    StatementLineFactory()  # and its statement
    MessageTemplate.objects.create(
        purpose="invoice", language="en", subject="Invoice {invoice_number}", body_text="{total}"
    )
    Group.objects.create(name="admin")
    security_records(appointment.billing_client, viewer=UserFactory())


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


def _routes(patterns=None, prefix="/"):
    """(route, pattern) of every URL the project serves, as written in its URLconfs."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


# Django's own: the object link of a log entry (content type and id), and the page-not-found
# catch-all.
NOT_OURS = ("/admin/r/", "/admin/(?P<url>")
# Emailed links name a user and a token, not an object: a bad or stale one answers with the
# page saying the link no longer works (tests/portal/test_accounts.py, tests/reminders/
# test_links.py).
EMAILED_LINKS = ("/portal/password/set/", "/reminders/")
OBJECT_ROUTES = sorted(
    (route, pattern.name)
    for route, pattern in _routes()
    if "<" in route
    and not route.startswith(NOT_OURS + EMAILED_LINKS)
    and "(?P<app_label>" not in route
)
# Pages that choose their objects by query parameters: every id field of the report forms.
REPORT_ID_PARAMETERS = sorted(
    name
    for form in (report_forms.WeekForm, report_forms.PeriodForm)
    for name, field in form.base_fields.items()
    if hasattr(field, "queryset")
)
QUERY_ROUTES = sorted(route for route, _pattern in _routes() if route.startswith("/admin/reports/"))


def _with_id(route: str, object_id: str) -> str:
    for converter in ("<path:object_id>", "<int:object_id>", "<int:pk>", "<id>"):
        route = route.replace(converter, object_id)
    assert "<" not in route, route
    return route


def _own_object_page(name: str | None) -> bool:
    """Django's change, delete and history pages, and the bare object URL that redirects to the
    change page: they send staff back to the list with "does not exist" (or refuse a POST they do
    not allow) instead."""
    return name is None or name.endswith(("_change", "_delete", "_history"))


@pytest.fixture
def therapist_client(db):
    client = Client()
    client.force_login(TherapistFactory().user)
    return client


def test_the_walk_covers_the_custom_pages():
    routes = {route for route, _name in OBJECT_ROUTES}
    for expected in [
        "/admin/billing/payment/<path:object_id>/allocate-oldest/",
        "/admin/caseload/therapist/<path:object_id>/caseload/",
        "/admin/billing/receipt/<path:object_id>/pdf/",
        "/portal/statements/<int:pk>/pdf/",
    ]:
        assert expected in routes
    assert "therapist" in REPORT_ID_PARAMETERS
    assert "/admin/reports/week/" in QUERY_ROUTES


@pytest.fixture
def client_pages_client(db):
    """A client signed in to their own pages (/client/)."""
    client = Client()
    sign_in_as(client, ClientFactory())
    return client


def test_a_bad_id_in_a_url_answers_404(admin_client, therapist_client, client_pages_client):
    wrong = []
    signed_in = {"/portal/": therapist_client, "/client/": client_pages_client}
    for route, name in OBJECT_ROUTES:
        client = signed_in.get(route[: route.find("/", 1) + 1], admin_client)
        for bad_id in ("999999", "abc"):
            url = _with_id(route, bad_id)
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if _own_object_page(name):
                    allowed = (302, 403, 404)
                elif method == "post":  # or the page takes no POST at all
                    allowed = (404, 405)
                else:
                    allowed = (404,)
                if status not in allowed:
                    wrong.append(f"{method.upper()} {url}: {status}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("bad_id", ["999999", "abc"])
@pytest.mark.parametrize("route", QUERY_ROUTES)
def test_a_bad_id_in_a_report_answers_with_the_form(admin_client, route, bad_id):
    response = admin_client.get(route, dict.fromkeys(REPORT_ID_PARAMETERS, bad_id))
    if response.context is None:  # a download, of the period alone
        assert response.status_code == 200
        return
    assert response.status_code == 200
    form = response.context["form"]
    assert {name for name in REPORT_ID_PARAMETERS if name in form.fields} <= set(form.errors)


def _everything_counted() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        # A page showing a client records who saw it: the access log is not the data shown.
        if model not in (Session, AccessRecord)
    }


STAFF_ROUTES = sorted(
    route
    for route, _pattern in _routes()
    if route.startswith("/admin/") and not route.startswith(NOT_OURS) and "(?P<" not in route
)


def test_a_get_changes_nothing(admin_client, one_of_everything, settings, tmp_path):
    """Every staff page and action, lists and objects: a GET shows, asks or refuses; only a
    POST (with its CSRF token) changes data."""
    settings.MEDIA_ROOT = tmp_path
    changed = []
    for route in STAFF_ROUTES:
        url = route
        if "<" in route:
            model = next(
                model
                for model in admin.site._registry
                if route.startswith(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
            )
            url = _with_id(route, str(model._default_manager.order_by("pk").first().pk))
        before = _everything_counted()
        status = admin_client.get(url).status_code
        if status >= 500 or _everything_counted() != before:
            changed.append(f"GET {url}: {status}")
    assert not changed, "\n".join(changed)
