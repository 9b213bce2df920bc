"""Stored documents (the PDFs an email attaches, uploaded renewal documents): kept in the default
storage under unguessable names, and handed out only by views that checked the permission
(`documents.downloads`).

A stored name says nothing about its document (`<kind>/<random>.pdf`: no client, number or
date); the reader gets a readable file name from the download instead (docs/security.md,
Stored files).
"""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.deconstruct import deconstructible


def unguessable_name(kind: str, extension: str) -> str:
    """`<kind>/<32 random URL-safe characters><extension>`."""
    return f"{kind}/{secrets.token_urlsafe(24)}{extension}"


def _extension(filename: str) -> str:
    suffix = PurePath(filename).suffix.casefold()
    return suffix if suffix[1:].isalnum() else ""


@deconstructible
class UnguessableUpload:
    """A FileField's `upload_to`: the uploaded file is stored as `<kind>/<random><extension>`,
    whatever its name was."""

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, instance, filename: str) -> str:
        return unguessable_name(self.kind, _extension(filename))


def store_document(kind: str, content: bytes) -> str:
    """Store a generated PDF under a new unguessable name of `kind`; returns the stored name."""
    return default_storage.save(unguessable_name(kind, ".pdf"), ContentFile(content))
