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


def _text_width(text: str, font: str, size: float) -> float:
    """Points a run of text takes in the PDF's embedded DejaVu (regular or bold)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from backoffice.documents.pdf import FONTS_DIR

    name = "DejaVuSans-Bold" if "Bold" in font else "DejaVuSans"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / f"{name}.ttf")))
    return pdfmetrics.stringWidth(text, name, size)


def overlapping_text(content: bytes) -> list[tuple[str, str]]:
    """Pairs of text runs printed on the same line of a page where the first runs into the
    second (its right edge past the second's left edge)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    overlaps = []
    for page in reader.pages:
        runs = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                x, y = pypdf.mult(tm, cm)[4:6]
                width = _text_width(text.strip(), font.get("/BaseFont", ""), size)
                runs.append((round(y, 1), x, x + width, text.strip()))

        page.extract_text(visitor_text=visit)
        runs.sort()
        for (y, _x, right, text), (next_y, next_x, _right, next_text) in itertools.pairwise(runs):
            if y == next_y and right > next_x + 0.5:
                overlaps.append((text, next_text))
    return overlaps
