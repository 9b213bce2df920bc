"""Files people upload (renewal documents): checked by size and by what the bytes are, not
by the name or the type the browser claims."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# What an accepted document starts with: PDF, JPEG, PNG.
DOCUMENT_SIGNATURES = {
    b"%PDF-": "PDF",
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}


def document_upload_check(document: File) -> None:
    """Refuse an empty file, one over UPLOAD_MAX_BYTES, or one that is not a PDF, JPEG or PNG."""
    if not document.size:
        raise ValidationError(_("The file is empty."))
    if document.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s is accepted.")
            % {
                "size": filesizeformat(document.size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            }
        )
    document.seek(0)
    start = document.read(8)
    document.seek(0)
    if not any(start.startswith(signature) for signature in DOCUMENT_SIGNATURES):
        raise ValidationError(_("Only PDF, JPEG or PNG files are accepted."))
