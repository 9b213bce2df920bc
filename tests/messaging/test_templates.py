"""Message templates: unknown placeholders refused on save, built-in texts in both languages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from backoffice.messaging.models import MessageTemplate, Purpose
from backoffice.messaging.services.templates import (
    message_template_render,
    message_template_validate,
)

pytestmark = pytest.mark.django_db

INVOICE_CONTEXT = {
    "invoice_number": "INV-2026-00042",
    "bill_to_name": "Pacific Mutual",
    "total": "$450.00",
    "due_date": "2026-05-01",
    "clinic_name": "Caseload Counselling",
}


def test_built_in_text_when_no_template_exists_in_english_and_french():
    subject, body = message_template_render(
        purpose=Purpose.INVOICE, language="en", context=INVOICE_CONTEXT
    )
    assert subject == "Invoice INV-2026-00042 from Caseload Counselling"
    assert "$450.00" in body and "2026-05-01" in body and "Pacific Mutual" in body

    subject, body = message_template_render(
        purpose=Purpose.INVOICE, language="fr-ca", context=INVOICE_CONTEXT
    )
    assert subject == "Facture INV-2026-00042 de Caseload Counselling"
    assert body.startswith("Bonjour")


def test_staff_template_for_the_language_is_used():
    MessageTemplate.objects.create(
        purpose=Purpose.INVOICE,
        language="fr-ca",
        subject="Votre facture {invoice_number}",
        body_text="Total : {total} — {{pas une variable}}",
    )
    subject, body = message_template_render(
        purpose=Purpose.INVOICE, language="fr-ca", context=INVOICE_CONTEXT
    )
    assert subject == "Votre facture INV-2026-00042"
    assert body == "Total : $450.00 — {pas une variable}"
    # English still gets the built-in text.
    english_subject, _body = message_template_render(
        purpose=Purpose.INVOICE, language="en", context=INVOICE_CONTEXT
    )
    assert english_subject.startswith("Invoice")


@pytest.mark.parametrize(
    "text",
    [
        "{client_ssn}",
        "{total.__class__.__mro__}",
        "{invoice_number[0]}",
        "{total!r}",
        "{total:>40}",
        "unbalanced {",
    ],
)
def test_validate_refuses_what_the_purpose_does_not_offer(text):
    with pytest.raises(ValidationError) as error:
        message_template_validate(purpose=Purpose.INVOICE, subject="Invoice", body_text=text)
    assert "body_text" in error.value.message_dict


def test_a_stored_template_that_no_longer_validates_falls_back_to_the_built_in_text():
    MessageTemplate.objects.create(
        purpose=Purpose.INVOICE, language="en", subject="{secret}", body_text="{total.real}"
    )
    subject, _body = message_template_render(
        purpose=Purpose.INVOICE, language="en", context=INVOICE_CONTEXT
    )
    assert subject == "Invoice INV-2026-00042 from Caseload Counselling"


def test_subject_is_one_line_whatever_the_values():
    subject, _body = message_template_render(
        purpose=Purpose.INVOICE,
        language="en",
        context={**INVOICE_CONTEXT, "invoice_number": "X\r\nBcc: someone@example.test"},
    )
    assert "\n" not in subject and "\r" not in subject


def test_admin_refuses_an_unknown_placeholder_and_previews_a_saved_template(admin_client):
    url = reverse("admin:messaging_messagetemplate_add")
    response = admin_client.post(
        url,
        {
            "purpose": Purpose.INVOICE,
            "language": "en",
            "subject": "Invoice {invoice_number}",
            "body_text": "Dear {client_ssn}",
        },
    )
    assert response.status_code == 200
    assert "Unknown placeholder {client_ssn}" in response.content.decode()
    assert not MessageTemplate.objects.exists()

    response = admin_client.post(
        url,
        {
            "purpose": Purpose.INVOICE,
            "language": "en",
            "subject": "Invoice {invoice_number}",
            "body_text": "Total {total}, due {due_date}",
        },
    )
    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    page = admin_client.get(
        reverse("admin:messaging_messagetemplate_change", args=[template.pk])
    ).content.decode()
    assert "Invoice INV-2026-00042" in page  # the preview, with sample values
    assert "{bill_to_name}" in page  # the placeholders offered


def test_the_list_shows_the_built_in_texts_staff_edit_from(admin_client):
    MessageTemplate.objects.create(
        purpose=Purpose.INVOICE, language="en", subject="Invoice {invoice_number}", body_text="."
    )
    url = reverse("admin:messaging_messagetemplate_changelist")

    builtin = admin_client.get(url).context["builtin_templates"]

    shown = {(text["purpose"], text["language"]): text for text in builtin}
    assert (Purpose.INVOICE, "en") not in shown, "a saved template replaces the built-in text"
    french = shown[(Purpose.INVOICE, "fr-ca")]
    assert french["subject"].startswith("Facture {invoice_number}")
    page = admin_client.get(url).content.decode()
    assert "Receipt {receipt_number} from {clinic_name}" in page

    form = admin_client.get(french["edit_url"]).context["adminform"].form
    assert form["subject"].value() == french["subject"]
    assert form["body_text"].value() == french["body_text"]
