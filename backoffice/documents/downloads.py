"""A stored document handed to a reader whose permission the view checked: streamed locally,
a short-lived signed URL on S3 (docs/security.md, Stored files)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

# Neither the browser nor a proxy keeps a copy of a client's document.
NO_STORE = "private, no-store"


def stored_document_response(name: str, *, filename: str) -> HttpResponseBase:
    """The stored document `name` for a reader whose permission the view checked, downloaded
    as `filename`.

    Streamed from local storage; on S3 a redirect to a signed URL that expires within a minute
    (`querystring_expire` in settings.STORAGES), so the link is useless once shared or logged.
    """
    storage = default_storage
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    if isinstance(storage, S3Storage):
        url = storage.url(
            name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": NO_STORE,
            },
        )
        response = HttpResponseRedirect(url)
        # The redirect hands the document over: the access log records it like a download.
        response.hands_over_document = True
    else:
        response = FileResponse(storage.open(name, "rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = NO_STORE
    response["X-Content-Type-Options"] = "nosniff"
    return response
