"""Service types: assessment, session and report by modality, with their tax and defaults."""

from django.contrib import admin

from backoffice.admin_base import CaseloadAdmin
from backoffice.caseload.models import ServiceType


@admin.register(ServiceType)
class ServiceTypeAdmin(CaseloadAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "modality",
        "default_duration_minutes",
        "default_fee_amount",
        "tax_rate",
        "is_active",
    ]
    list_filter = ["kind", "modality", "is_active"]
    search_fields = ["name", "name_fr", "code"]
    prepopulated_fields = {"code": ["name"]}
