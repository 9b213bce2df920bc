from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, RangeDateFilter
from unfold.decorators import display

from backoffice.admin_base import CaseloadAdmin, CaseloadTabularInline
from backoffice.caseload.models import (
    Authorization,
    Client,
    Payer,
    PayerRate,
    ServiceType,
    Therapist,
    TherapistRate,
)


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


class TherapistRateInline(CaseloadTabularInline):
    model = TherapistRate
    autocomplete_fields = ["service_type"]
    verbose_name_plural = _("Rates (effective-dated)")


@admin.register(Therapist)
class TherapistAdmin(CaseloadAdmin):
    list_display = ["__str__", "designation", "registration_number", "email", "phone", "is_active"]
    list_filter = ["is_active", "designation"]
    search_fields = ["last_name", "first_name", "email", "registration_number"]
    autocomplete_fields = ["user"]
    inlines = [TherapistRateInline]
    fieldsets = [
        (None, {"fields": ["user", "first_name", "last_name", "email", "phone", "is_active"]}),
        (_("Professional"), {"fields": ["designation", "registration_number"]}),
    ]


@admin.register(TherapistRate)
class TherapistRateAdmin(CaseloadAdmin):
    list_display = [
        "therapist",
        "service_type",
        "effective_from",
        "session_price_amount",
        "service_fee_kind",
        "service_fee_value",
    ]
    list_select_related = ["therapist", "service_type"]
    list_filter = [("therapist", AutocompleteSelectFilter), "service_fee_kind"]
    search_fields = ["therapist__last_name", "therapist__first_name"]
    autocomplete_fields = ["therapist", "service_type"]


class PayerRateInline(CaseloadTabularInline):
    model = PayerRate
    autocomplete_fields = ["service_type"]
    verbose_name_plural = _("Rates (effective-dated)")


@admin.register(Payer)
class PayerAdmin(CaseloadAdmin):
    list_display = [
        "name",
        "kind",
        "vendor_number",
        "billing_email",
        "invoice_terms_days",
        "invoice_grouping",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "vendor_number", "billing_email"]
    inlines = [PayerRateInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active", "language"]}),
        (
            _("Billing"),
            {
                "fields": [
                    "billing_email",
                    "billing_address",
                    "vendor_number",
                    "invoice_terms_days",
                    "invoice_grouping",
                    "submission_deadline_days",
                ]
            },
        ),
        (
            _("Missed sessions"),
            {
                "fields": [
                    "late_cancel_billing",
                    "no_show_billing",
                    "missed_sessions_billable_count",
                ]
            },
        ),
    ]


@admin.register(PayerRate)
class PayerRateAdmin(CaseloadAdmin):
    list_display = ["payer", "service_type", "effective_from", "amount"]
    list_select_related = ["payer", "service_type"]
    list_filter = [("payer", AutocompleteSelectFilter)]
    search_fields = ["payer__name", "service_type__name"]
    autocomplete_fields = ["payer", "service_type"]


class AuthorizationInline(CaseloadTabularInline):
    model = Authorization
    fields = [
        "payer",
        "reference_number",
        "sessions_approved",
        "valid_from",
        "valid_until",
        "renewal_submitted_at",
    ]
    autocomplete_fields = ["payer"]


@admin.register(Client)
class ClientAdmin(CaseloadAdmin):
    list_display = [
        "name",
        "kind",
        "primary_therapist",
        "date_of_birth",
        "preferred_language",
        "active",
    ]
    list_select_related = ["primary_therapist"]
    list_filter = [
        "kind",
        "is_active",
        ("primary_therapist", AutocompleteSelectFilter),
        "preferred_language",
    ]
    search_fields = ["last_name", "first_name", "preferred_name", "email"]
    autocomplete_fields = ["primary_therapist"]
    inlines = [AuthorizationInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "kind",
                    "first_name",
                    "last_name",
                    "preferred_name",
                    "date_of_birth",
                    "primary_therapist",
                    "is_active",
                ]
            },
        ),
        (_("Contact"), {"fields": ["email", "phone", "address", "preferred_language"]}),
        (_("Reminders"), {"fields": ["reminder_channel", "email_consent", "sms_consent"]}),
    ]

    @display(description=_("client"), ordering="last_name")
    def name(self, client):
        return f"{client.last_name}, {client.first_name}"

    @display(description=_("status"), label={_("Active"): "success", _("Deactivated"): "danger"})
    def active(self, client):
        return _("Active") if client.is_active else _("Deactivated")


@admin.register(Authorization)
class AuthorizationAdmin(CaseloadAdmin):
    list_display = [
        "reference_number",
        "client",
        "payer",
        "sessions_approved",
        "valid_from",
        "valid_until",
        "renewal_submitted_at",
    ]
    list_select_related = ["client", "payer"]
    list_filter = [
        ("payer", AutocompleteSelectFilter),
        ("client", AutocompleteSelectFilter),
        ("valid_until", RangeDateFilter),
    ]
    search_fields = ["reference_number", "client__last_name", "client__first_name"]
    autocomplete_fields = ["client", "payer"]
