"""The breach register: every breach of security safeguards, kept 24 months at least."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import CaseloadAdmin
from backoffice.privacy.models import Breach
from backoffice.privacy.services import breach_save


@admin.register(Breach)
class BreachAdmin(CaseloadAdmin):
    list_display = [
        "__str__",
        "real_risk",
        "commissioner_reported_on",
        "individuals_notified_on",
        "closed_at",
        "keep_until",
    ]
    list_filter = ["real_risk", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["description"]
    autocomplete_fields = ["clients"]
    readonly_fields = ["recorded_by", "keep_until"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "discovered_at",
                    "occurred_from",
                    "occurred_until",
                    "occurred_note",
                    "description",
                    "records_affected",
                    "clients",
                    "others_affected_count",
                    "cause",
                    "containment",
                ]
            },
        ),
        (
            _("Harm and notices"),
            {
                "fields": [
                    "real_risk",
                    "risk_reasoning",
                    "commissioner_reported_on",
                    "individuals_notified_on",
                    "organisations_notified",
                ]
            },
        ),
        (None, {"fields": ["recorded_by", "closed_at", "keep_until"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # PIPEDA: kept at least 24 months; nothing here removes them

    def save_model(self, request, obj, form, change):
        breach_save(breach=obj, by=request.user)

    @display(description=_("keep until"))
    def keep_until(self, breach):
        return breach.keep_until() or "-"
