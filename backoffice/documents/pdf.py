"""HTML → PDF (xhtml2pdf) for every document: the letterhead, the fonts and the base template
`documents/pdf/base.html` that invoices, receipts and statements extend.

Rendering reads nothing but the two embedded DejaVu fonts beside this module (docs/quality.md,
documents fetch nothing): the `link_callback` turns every other URL into an empty data URI, and
the xhtml2pdf resource policy confines local reads to the fonts directory and refuses the
network, so a note holding markup or a file path cannot make the server fetch anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

logger = logging.getLogger(__name__)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
# What a refused URL becomes: an empty inline resource, so nothing is read and the render goes on.
REFUSED = "data:,"
POLICY = ResourceAccessPolicy.server(base_dir=FONTS_DIR, allow_remote=False)
BODY_FONT_SIZE = 8.5  # pt, the body text of documents/pdf/base.html
PDF = "application/pdf"


class PdfError(Exception):
    """xhtml2pdf reported errors while building a document."""


def link_callback(uri, rel=None) -> str:
    """The absolute path of a font file in FONTS_DIR; anything else is refused."""
    text = str(uri or "")
    parts = urlsplit(text)
    if not parts.scheme and not parts.netloc and parts.path:
        candidate = (FONTS_DIR / parts.path).resolve()
        if candidate.parent == FONTS_DIR and candidate.suffix == ".ttf" and candidate.is_file():
            return str(candidate)
    # The scheme only: a URL can carry a name or a claim number, and logs hold no personal
    # data (docs/quality.md, logs).
    logger.warning("PDF resource refused (scheme %r)", parts.scheme or "path")
    return REFUSED


def html_to_pdf(html: str) -> bytes:
    """Render trusted template output to PDF bytes under the fonts-only resource policy."""
    out = BytesIO()
    result = pisa.CreatePDF(
        html, dest=out, link_callback=link_callback, resource_policy=POLICY, encoding="utf-8"
    )
    if result.err:
        raise PdfError(f"xhtml2pdf reported {result.err} error(s)")
    return out.getvalue()


def pdf_render(template_name: str, context: Callable[[], dict], *, language: str) -> bytes:
    """The template as a PDF in `language`: `context()` is built in that language too, so the
    money and dates it formats read as the rest of the document."""
    with translation.override(language):
        html = render_to_string(template_name, context())
    return html_to_pdf(html)


def letterhead() -> dict:
    """The clinic's name, address and numbers at the head of every document."""
    letterhead = settings.LETTERHEAD
    return {
        "name": letterhead["NAME"],
        "address_lines": [line for line in letterhead["ADDRESS"].splitlines() if line.strip()],
        "phone": letterhead["PHONE"],
        "email": letterhead["EMAIL"],
        "gst_number": letterhead.get("GST_NUMBER", ""),
    }


@cache
def _body_font() -> str:
    name = "DocumentDejaVu"
    pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / "DejaVuSans.ttf")))
    return name


def text_fits(text: str, width: float) -> bool:
    """Whether the text, in the body font, fits on one line `width` points wide."""
    return pdfmetrics.stringWidth(text, _body_font(), BODY_FONT_SIZE) <= width


def one_line(text: str, width: float) -> str:
    """The text, cut with an ellipsis if need be, to print on one line `width` points wide."""
    if text_fits(text, width):
        return text
    while text and not text_fits(text + "…", width):
        text = text[:-1]
    return text.rstrip() + "…"
