"""The access log for the privacy officer: read-only, filtered by user, client, what and dates,
exported to CSV or Excel (import-export's page). Looking at it is not itself recorded (it would
only record itself); exporting it is, once, without clients (docs/security.md)."""

from django.contrib import admin
from import_export import fields, resources
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.contrib.import_export.forms import SelectableFieldsExportForm
from unfold.paginator import InfinitePaginator

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.access.services import record_access
from backoffice.admin_base import AutocompleteFilter, LocalDateRangeFilter
from backoffice.documents.spreadsheets import spreadsheet_safe


class AccessRecordResource(resources.ModelResource):
    what = fields.Field(attribute="get_what_display", column_name="what")
    client = fields.Field(attribute="client", column_name="client")
    record = fields.Field(attribute="content_type__model", column_name="record")

    class Meta:
        model = AccessRecord
        fields = ("at", "username", "what", "record", "object_id", "label", "client", "path")
        export_order = fields

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))

    def get_export_headers(self, selected_fields=None):
        return [spreadsheet_safe(header) for header in super().get_export_headers(selected_fields)]


@admin.register(AccessRecord)
class AccessRecordAdmin(ExportMixin, ModelAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True
    list_display = ["at", "username", "what", "client", "content_type", "object_id", "path"]
    list_select_related = ["client", "content_type"]
    list_filter = [
        ("user", AutocompleteFilter),
        ("client", AutocompleteFilter),
        ("what", ChoicesDropdownFilter),
        ("at", LocalDateRangeFilter),
    ]
    resource_classes = [AccessRecordResource]
    export_form_class = SelectableFieldsExportForm

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("client", "content_type")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        record_access(
            request,
            AccessKind.EXPORT,
            AccessRecord.objects.none(),
            label="access-log",
        )
        return super().get_export_data(file_format, request, queryset, **kwargs)
