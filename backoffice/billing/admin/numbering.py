"""Document counters in the admin: read only; numbers are taken only by the services."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from backoffice.admin_base import ReadOnlyAdminMixin
from backoffice.billing.models import DocumentCounter


@admin.register(DocumentCounter)
class DocumentCounterAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The last number of each series and year; numbers are taken only by the services."""

    list_display = ["series", "year", "last_number"]
    list_filter = ["series"]
    readonly_fields = ["series", "year", "last_number"]
