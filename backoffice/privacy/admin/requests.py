"""Privacy requests: the list of what is still to answer (open, overdue), each request's page
with a link to the client's page and history; recording a withdrawal of consent stops the
client's reminders on that channel."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import CaseloadAdmin, DefaultChoiceFilter
from backoffice.privacy.models import PrivacyRequest, is_overdue
from backoffice.privacy.selectors import requests_open_filter
from backoffice.privacy.services import privacy_request_record, privacy_request_save

# Settled when the request is recorded: changing them later would not redo what they did.
RECORDED_ONCE = ["client", "kind", "received_on", "received_how", "withdrawn_channels"]


class StateFilter(DefaultChoiceFilter):
    title = _("state")
    parameter_name = "state"
    default = "open"

    def lookups(self, request, model_admin):
        return [
            ("open", _("To answer")),
            ("overdue", _("Overdue")),
            ("answered", _("Answered")),
            ("all", _("All")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "open":
                return queryset.filter(requests_open_filter(today=today, overdue=False))
            case "overdue":
                return queryset.filter(requests_open_filter(today=today, overdue=True))
            case "answered":
                return queryset.exclude(completed_at=None)
        return queryset


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(CaseloadAdmin):
    list_display = ["client", "kind", "received_on", "due", "handled_by", "completed_at"]
    list_select_related = ["client", "handled_by"]
    list_filter = [StateFilter, "kind"]
    search_fields = ["client__last_name", "client__first_name"]
    autocomplete_fields = ["client"]
    readonly_fields = ["due_on", "received_by", "client_links"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "client",
                    "client_links",
                    "kind",
                    "received_on",
                    "received_how",
                    "due_on",
                    "received_by",
                    "details",
                    "withdrawn_channels",
                ]
            },
        ),
        (_("Answer"), {"fields": ["handled_by", "outcome", "completed_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, *RECORDED_ONCE] if obj is not None else fields

    def has_delete_permission(self, request, obj=None):
        return False  # the record of a request is kept

    def save_model(self, request, obj, form, change):
        if change:
            privacy_request_save(request=obj)
        else:
            privacy_request_record(request=obj, by=request.user)

    @display(description=_("answer due on"), ordering="due_on", label={_("Overdue"): "danger"})
    def due(self, privacy_request):
        if is_overdue(privacy_request, today=timezone.localdate()):
            return _("Overdue")
        return f"{privacy_request.due_on:%Y-%m-%d}"

    @display(description=_("client's file"))
    def client_links(self, privacy_request):
        if privacy_request.client_id is None:
            return "-"
        args = [privacy_request.client_id]
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:caseload_client_change", args=args),
            _("Client's page (corrections are made there)"),
            reverse("admin:caseload_client_history", args=args),
            _("its history"),
        )
