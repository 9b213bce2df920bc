from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """What every app's documents share: formatting, PDFs, workbooks, ZIPs, the sending fields."""

    name = "backoffice.documents"
    label = "documents"
    verbose_name = _("Documents")
