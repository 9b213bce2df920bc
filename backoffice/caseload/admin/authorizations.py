"""Authorizations: usage and colour in the list, renewal documents and extensions."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin
from backoffice.billing.selectors import ClientStatus, authorizations_with_status
from backoffice.caseload.admin.colours import STATUS_LABELS
from backoffice.caseload.admin.views import (
    AuthorizationExtendView,
    AuthorizationRenewalView,
    RenewalDocumentView,
)
from backoffice.caseload.models import Authorization


@admin.register(Authorization)
class AuthorizationAdmin(CaseloadAdmin):
    list_display = [
        "reference_number",
        "client",
        "payer",
        "sessions_approved",
        "sessions_used",
        "sessions_billed",
        "sessions_remaining",
        "valid_until",
        "colour",
    ]
    actions_row = ["submit_renewal", "extend"]
    actions_detail = ["submit_renewal", "extend"]
    readonly_fields = [
        "sessions_used",
        "sessions_billed",
        "sessions_remaining",
        "colour",
        "renewal_submitted_at",
        "renewal_submitted_by",
        "renewal_note",
        "renewal_document_link",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "client",
                    "payer",
                    "reference_number",
                    "sessions_approved",
                    "valid_from",
                    "valid_until",
                    "notes",
                ]
            },
        ),
        (
            _("Usage"),
            {"fields": ["sessions_used", "sessions_billed", "sessions_remaining", "colour"]},
        ),
        (
            _("Renewal"),
            {
                "fields": [
                    "renewal_submitted_at",
                    "renewal_submitted_by",
                    "renewal_note",
                    "renewal_document_link",
                ]
            },
        ),
    ]
    list_select_related = ["client", "payer"]
    list_filter = [
        ("payer", AutocompleteFilter),
        ("client", AutocompleteFilter),
        ("valid_until", RangeDateFilter),
    ]
    search_fields = ["reference_number", "client__last_name", "client__first_name"]
    autocomplete_fields = ["client", "payer"]

    def get_urls(self):
        view = self.admin_site.admin_view(RenewalDocumentView.as_view())
        return [
            path(
                "<path:object_id>/renewal-document/",
                view,
                name="caseload_authorization_renewal_document",
            ),
            *super().get_urls(),
        ]

    @display(description=_("renewal document"))
    def renewal_document_link(self, authorization):
        """Through the permission-checked view, never the storage's own URL."""
        if not authorization.renewal_document:
            return "-"
        url = reverse("admin:caseload_authorization_renewal_document", args=[authorization.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, _("Download"))

    def get_queryset(self, request):
        # Usage is annotated with per-row subqueries: the list's queries do not grow with its
        # rows (docs/quality.md, list pages).
        return authorizations_with_status(super().get_queryset(request))

    @display(description=_("used"), ordering="sessions_used_count")
    def sessions_used(self, authorization):
        return getattr(authorization, "sessions_used_count", "-")

    @display(description=_("billed"))
    def sessions_billed(self, authorization):
        return getattr(authorization, "sessions_billed_count", "-")

    @display(description=_("remaining"), ordering="sessions_remaining_count")
    def sessions_remaining(self, authorization):
        return getattr(authorization, "sessions_remaining_count", "-")

    @display(description=_("colour"), ordering="status", label=STATUS_LABELS)
    def colour(self, authorization):
        status = getattr(authorization, "status", None)
        return ClientStatus(status).label if status else "-"

    @action(
        description=_("Renewal documents submitted"), icon="upload_file", permissions=["change"]
    )
    def submit_renewal(self, request, object_id):
        return AuthorizationRenewalView.as_view(model_admin=self)(request, object_id=object_id)

    @action(description=_("Extend"), icon="more_time", permissions=["change"])
    def extend(self, request, object_id):
        return AuthorizationExtendView.as_view(model_admin=self)(request, object_id=object_id)
