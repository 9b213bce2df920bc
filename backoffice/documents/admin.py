"""The admin's document actions, one way for every document (invoices, statements).

`DocumentAdminMixin` goes before the ModelAdmin base. The admin says what its documents are by
overriding `document_pdf`, `document_filename`, `documents_loaded`, `documents_zip_stream` and
`documents_xlsx`, and names its files and export permission (`documents_name`,
`export_permission`); the action names in `document_actions`, `document_actions_list` and
`document_actions_detail` go in its `actions`, `actions_list` and `actions_detail`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from backoffice.access.models import AccessKind
from backoffice.access.services import record_access
from backoffice.documents.models import SendStatus
from backoffice.documents.spreadsheets import XLSX
from backoffice.documents.zips import attachment, pdf_response

SEND_COLOURS = {
    SendStatus.NOT_SENT.label: "info",
    SendStatus.QUEUED.label: "warning",
    SendStatus.SENT.label: "success",
    SendStatus.FAILED.label: "danger",
}


class DocumentAdminMixin:
    """View or download one PDF, a ZIP of the selected or of the shown list, an Excel export,
    and the sending status column."""

    documents_name = "documents"  # the ZIP and workbook are <documents_name>.zip / .xlsx
    documents_clients = "lines__client"  # how a document reaches its clients (the access log)
    export_permission = ""  # PDFs in bulk and spreadsheets have their own permission
    document_actions = ["download_pdfs_zip", "export_xlsx"]
    document_actions_list = ["zip_filtered"]
    document_actions_detail = ["view_pdf", "download_pdf"]
    list_actions_on_shown_rows = ("documents-zip",)

    def document_pdf(self, document: Model) -> bytes:
        raise NotImplementedError

    def document_filename(self, document: Model) -> str:
        raise NotImplementedError

    def documents_loaded(self, queryset: QuerySet) -> QuerySet:
        """The documents with everything their PDFs print."""
        return queryset

    def documents_zip_stream(self, ids: list[int]) -> Iterator[bytes]:
        raise NotImplementedError

    def documents_xlsx(self, queryset: QuerySet) -> bytes:
        raise NotImplementedError

    # --- permissions and columns ------------------------------------------------------------

    def has_export_permission(self, request, obj=None):
        """Exports have their own permission (finance and administrators; docs/quality.md,
        exports)."""
        return request.user.has_perm(self.export_permission)

    @display(description=_("sending"), ordering="send_status", label=SEND_COLOURS)
    def send_status_label(self, document):
        return document.get_send_status_display()

    def send_later(self, request, service, *, queued: Callable[[int], str], **arguments) -> None:
        """Staff's "send selected" through `service` (giving a `SendBatch`): `queued(count)`
        says how many go out, and each refusal is shown as a warning."""
        self.run_service(
            request,
            service,
            done=lambda batch: queued(batch.sent) if batch.sent else "",
            warnings=lambda batch: batch.refused,
            by=request.user,
            **arguments,
        )

    def documents_exported(self, request, queryset: QuerySet, filename: str) -> None:
        """The access log gets one record per client of the exported documents."""
        clients = self.documents_clients
        record_access(request, AccessKind.EXPORT, queryset, client_field=clients, label=filename)

    # --- one document -----------------------------------------------------------------------

    def document_or_404(self, request, object_id) -> Model:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.documents_loaded(self.get_queryset(request)), pk=object_id)

    def pdf_view(self, request, object_id) -> HttpResponse:
        document = self.document_or_404(request, object_id)
        return pdf_response(
            self.document_pdf(document), self.document_filename(document), inline=True
        )

    def pdf_download_view(self, request, object_id) -> HttpResponse:
        document = self.document_or_404(request, object_id)
        return pdf_response(self.document_pdf(document), self.document_filename(document))

    @action(
        description=_("View PDF"),
        url_path="view-pdf",
        permissions=["view"],
        icon="picture_as_pdf",
        attrs={"target": "_blank"},
    )
    def view_pdf(self, request, object_id):
        return self.pdf_view(request, object_id)

    @action(
        description=_("Download PDF"),
        url_path="download-pdf",
        permissions=["view"],
        icon="download",
    )
    def download_pdf(self, request, object_id):
        return self.pdf_download_view(request, object_id)

    # --- many documents ---------------------------------------------------------------------

    def _zip_response(self, request, queryset) -> StreamingHttpResponse:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        self.documents_exported(request, queryset, f"{self.documents_name}.zip")
        response = StreamingHttpResponse(
            self.documents_zip_stream(ids), content_type="application/zip"
        )
        return attachment(response, f"{self.documents_name}.zip")

    @action(
        description=_("PDFs of this list (ZIP)"),
        url_path="documents-zip",
        permissions=["export"],
        icon="folder_zip",
    )
    def zip_filtered(self, request):
        """Everything the list's filters and search show (`list_actions_on_shown_rows`)."""
        changelist = self.get_changelist_instance(request)
        return self._zip_response(request, changelist.get_queryset(request))

    @action(description=_("Download PDFs (ZIP)"), permissions=["export"])
    def download_pdfs_zip(self, request, queryset):
        return self._zip_response(request, queryset)

    @action(description=_("Export to Excel"), permissions=["export"])
    def export_xlsx(self, request, queryset):
        self.documents_exported(request, queryset, f"{self.documents_name}.xlsx")
        response = HttpResponse(self.documents_xlsx(queryset), content_type=XLSX)
        return attachment(response, f"{self.documents_name}.xlsx")
