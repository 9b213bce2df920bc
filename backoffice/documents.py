"""Documents of any kind zipped for download: PDFs rendered a batch at a time and streamed.

Invoices (billing.admin_documents) and therapist statements (payouts.exports) share it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.http import HttpResponseBase

ZIP_BATCH = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


def attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """The response, downloaded under `filename`."""
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
