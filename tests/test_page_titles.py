"""Page titles and headers say where staff are; form labels start with a capital."""

import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from backoffice.reports.admin import forms as report_forms
from tests.factories import TherapistFactory


def header_and_title(page: str) -> tuple[str, str]:
    def text(html):
        return " ".join(re.sub(r"<[^>]+>|chevron_right", " ", html).split())

    header = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    return text(header), text(title)


@pytest.mark.django_db
def test_the_caseload_page_names_its_therapist(admin_client):
    therapist = TherapistFactory(first_name="Jordan", last_name="Lee")
    url = reverse("admin:caseload_therapist_caseload", args=[therapist.pk])

    header, title = header_and_title(admin_client.get(url).content.decode())

    assert header == "Clients Therapists Clients of Jordan Lee"
    assert title == "Clients of Jordan Lee | Caseload"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("admin:billing_payment_receivables", "Receivables"),
        ("admin:billing_payment_import", "Import payments"),
        ("admin:billing_invoice_generate_month", "Generate invoices for a month"),
        ("admin:scheduling_appointment_book_series", "Book a series"),
    ],
)
def test_pages_of_their_own_have_their_own_header_and_title(admin_client, url_name, expected):
    header, title = header_and_title(admin_client.get(reverse(url_name)).content.decode())

    assert header.endswith(f" {expected}")
    assert title == f"{expected} | Caseload"


def _forms(base=forms.BaseForm):
    for form in base.__subclasses__():
        yield form
        yield from _forms(form)


FORMS = sorted(
    {form for form in _forms() if form.__module__.startswith(("backoffice.", "portal."))},
    key=lambda form: form.__qualname__,
)


def test_the_forms_of_the_admin_and_reports_are_all_checked():
    names = {form.__qualname__ for form in FORMS}
    assert {"GenerateInvoicesForm", "AppointmentSeriesAdminForm", "PayoutForm"} <= names
    assert report_forms.WeekForm in FORMS


@pytest.mark.parametrize("language", ["en", "fr-ca"])
@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.__qualname__)
def test_form_labels_start_with_a_capital(form, language):
    with translation.override(language):
        labels = {
            name: str(field.label)
            for name, field in form.base_fields.items()
            if field.label and not field.widget.is_hidden
        }
    assert {name: label for name, label in labels.items() if not label[0].isupper()} == {}
