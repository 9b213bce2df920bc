"""Payers (their billing and missed-session rules) and their effective-dated rates."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin
from backoffice.caseload.admin.rates import RatesInline
from backoffice.caseload.models import Payer, PayerRate


class PayerRateInline(RatesInline):
    model = PayerRate


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
        (_("Renewals"), {"fields": ["renewal_requirements"]}),
    ]


@admin.register(PayerRate)
class PayerRateAdmin(CaseloadAdmin):
    list_display = ["payer", "service_type", "effective_from", "amount"]
    list_select_related = ["payer", "service_type"]
    list_filter = [("payer", AutocompleteFilter)]
    search_fields = ["payer__name", "service_type__name"]
    autocomplete_fields = ["payer", "service_type"]
