"""Generated documents kept in the default storage (the PDFs an email attaches)."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def store_document(path: str, content: bytes) -> str:
    """Store `content` at exactly `path`, replacing what was there; returns the stored name."""
    # The name must be exactly `path` (storages rename rather than overwrite).
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(content))
