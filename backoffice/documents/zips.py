"""Documents of any kind downloaded: one PDF, or a ZIP of PDFs rendered a batch at a time and
streamed (invoices and therapist statements alike)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase

from backoffice.documents.downloads import NO_STORE
from backoffice.documents.pdf import PDF

ZIP_BATCH = 50

Document = TypeVar("Document")


class _Sink:
    """A write-only file for zipfile whose bytes are handed out as they are written."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def pdfs_zip_stream(
    *,
    ids: list[int],
    batch: Callable[[list[int]], Iterable[Document]],
    pdf: Callable[[Document], bytes],
    filename: Callable[[Document], str],
    batch_size: int = ZIP_BATCH,
) -> Iterator[bytes]:
    """A ZIP of one PDF per document, streamed as each PDF is written.

    `batch(ids)` loads up to `batch_size` documents with everything their PDFs print, so the
    query count grows with the batches, never with the documents or their lines.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for start in range(0, len(ids), batch_size):
            for document in batch(ids[start : start + batch_size]):
                archive.writestr(filename(document), pdf(document))
                yield sink.take()
    yield sink.take()


def documents_zip_stream(
    *,
    ids: list[int],
    documents: QuerySet,
    pdf: Callable[[Document], bytes],
    filename: Callable[[Document], str],
) -> Iterator[bytes]:
    """`pdfs_zip_stream` of the `documents` (loaded with everything their PDFs print) whose
    ids are given, a batch at a time in id order."""
    return pdfs_zip_stream(
        ids=ids,
        batch=lambda batch_ids: documents.filter(pk__in=batch_ids).order_by("pk"),
        pdf=pdf,
        filename=filename,
    )


def attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """The response, downloaded under `filename`, kept by no browser or proxy cache."""
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = NO_STORE
    return response


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """A PDF downloaded under `filename`, or (inline) opened in the browser's viewer."""
    response = HttpResponse(content, content_type=PDF)
    if not inline:
        return attachment(response, filename)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = NO_STORE
    # The PDF opens in the browser's viewer, inside no frame of another site.
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
