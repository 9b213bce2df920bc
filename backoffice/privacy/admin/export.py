"""The client page's "Export everything held (privacy request)": the request recorded, then the
ZIP of everything held about the client downloaded."""

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action
from unfold.widgets import UnfoldAdminDateWidget, UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from backoffice.access.models import AccessKind
from backoffice.access.services import record_access
from backoffice.admin_base import CaseloadObjectFormView
from backoffice.documents.zips import attachment
from backoffice.privacy.models import RECEIVED_HOW
from backoffice.privacy.services import (
    client_export_filename,
    client_export_record,
    client_export_zip,
)

EXPORT_PERMISSION = "privacy.export_client_record"


class ExportRequestForm(forms.Form):
    received_on = forms.DateField(label=_("Request received on"), widget=UnfoldAdminDateWidget)
    received_how = forms.ChoiceField(
        label=_("Received"), choices=RECEIVED_HOW, widget=UnfoldAdminSelectWidget
    )
    details = forms.CharField(
        label=_("What the client asked"), required=False, widget=UnfoldAdminTextareaWidget
    )


class ClientExportView(CaseloadObjectFormView):
    """Record the client's request for access and download everything held about them."""

    form_class = ExportRequestForm
    permission_required = (EXPORT_PERMISSION,)
    submit_label = _("Record the request and download the ZIP")
    intro = _(
        "The ZIP holds the client's file, consents, authorizations, sessions, billing, messages, "
        "reminders and history, with their invoice and receipt PDFs. Read it before handing it "
        "over: notes may name other people."
    )

    @property
    def title(self):
        return _("Export everything held about %(client)s") % {"client": self.object}

    def get_initial(self):
        return {"received_on": timezone.localdate()}

    def form_valid(self, form):
        client = self.object
        client_export_record(client=client, by=self.request.user, **form.cleaned_data)
        filename = client_export_filename(client)
        record_access(self.request, AccessKind.EXPORT, client, client_field="pk", label=filename)
        return attachment(
            HttpResponse(client_export_zip(client=client), content_type="application/zip"),
            filename,
        )


class ClientExportActionMixin:
    """The client page's privacy export, for staff holding the export permission."""

    @action(
        description=_("Export everything held (privacy request)"),
        icon="folder_zip",
        permissions=["privacy_export"],
    )
    def privacy_export(self, request, object_id):
        return ClientExportView.as_view(model_admin=self)(request, object_id=object_id)

    def has_privacy_export_permission(self, request, obj=None):
        return request.user.has_perm(EXPORT_PERMISSION)
