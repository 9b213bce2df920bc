"""Invoices for the document tests, with every field given so they do not depend on the shared
factories' defaults (several engineers change those)."""

import io
import itertools
from datetime import date

import pypdf

from backoffice.billing.models import InvoiceStatus
from tests.factories import InvoiceFactory, InvoiceLineFactory, ServiceTypeFactory

BILL_TO_KEYS = itertools.count(1)


def issued_invoice(**fields):
    """Every field given, so the test does not depend on the factories' defaults."""
    defaults = {
        "payer": None,
        "client": None,
        "status": InvoiceStatus.ISSUED,
        "number": None,
        "issued_on": date(2026, 4, 1),
        "due_on": date(2026, 5, 1),
        "language": "en",
        "bill_to_key": f"test:{next(BILL_TO_KEYS)}",
    }
    defaults.update(fields)
    if defaults["number"] is None and defaults["status"] != InvoiceStatus.DRAFT:
        defaults["number"] = f"INV-TEST-{InvoiceFactory._meta.model.objects.count() + 1}"
    return InvoiceFactory(**defaults)


def line_for(invoice, *, client, therapist=None, service_type=None, **fields):
    return InvoiceLineFactory(
        invoice=invoice,
        appointment=None,
        client=client,
        therapist=therapist or client.primary_therapist,
        service_type=service_type or ServiceTypeFactory(),
        service_date=fields.pop("service_date", date(2026, 3, 9)),
        description=fields.pop("description", "Individual session"),
        **fields,
    )


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)
