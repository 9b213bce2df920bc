"""Clients: the list with its colour, the page with the latest authorizations and
appointments and the consent records, activation."""

from django.contrib import admin
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display

from backoffice.admin_base import (
    AutocompleteFilter,
    CaseloadAdmin,
    ReadOnlyInline,
    TakePaymentActionMixin,
)
from backoffice.billing.selectors import ClientStatus, clients_with_status
from backoffice.caseload.admin.colours import STATUS_LABELS, ClientStatusFilter, status_legend
from backoffice.caseload.admin.forms import ClientAdminForm
from backoffice.caseload.admin.views import ClientActivationView
from backoffice.caseload.models import Authorization, Client, ContactConsent
from backoffice.caseload.services import client_activate, client_deactivate, client_staff_save
from backoffice.privacy.admin.export import ClientExportActionMixin
from backoffice.scheduling.models import Appointment
from backoffice.scheduling.selectors import clients_matching


class LatestRowsFormSet(BaseInlineFormSet):
    """The newest `limit` rows only: a page of a long history, without counting it."""

    limit = 10

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[: self.limit]
        return self._latest


class LatestAuthorizationsFormSet(LatestRowsFormSet):
    limit = 5


class AuthorizationInline(ReadOnlyInline):
    """The client's latest authorizations; each is added and changed on its own page, where
    the renewal and extension actions are."""

    model = Authorization
    formset = LatestAuthorizationsFormSet
    fields = [
        "payer",
        "reference_number",
        "sessions_approved",
        "valid_from",
        "valid_until",
        "renewal_submitted_at",
    ]
    ordering = ["-valid_until"]
    select_related = ("payer",)


class ClientAppointmentInline(ReadOnlyInline):
    """The client's latest appointments; the whole history is a link to the filtered list."""

    model = Appointment
    formset = LatestRowsFormSet
    fk_name = "billing_client"
    verbose_name_plural = _("Appointments")
    fields = ["starts_at", "therapist", "service_type", "attendance", "status", "fee_amount"]
    ordering = ["-starts_at"]
    select_related = ("therapist", "service_type")


class ContactConsentInline(ReadOnlyInline):
    """The latest givings and withdrawals of consent to reminders: how, when, who."""

    model = ContactConsent
    formset = LatestRowsFormSet
    fields = ["channel", "given", "method", "recorded_at", "recorded_by", "note"]
    ordering = ["-recorded_at", "-pk"]
    select_related = ("recorded_by",)


@admin.register(Client)
class ClientAdmin(ClientExportActionMixin, TakePaymentActionMixin, CaseloadAdmin):
    take_payment_by = "client"
    form = ClientAdminForm
    list_display = [
        "name",
        "kind",
        "primary_therapist",
        "date_of_birth",
        "preferred_language",
        "active",
        "colour",
    ]
    list_select_related = ["primary_therapist"]
    list_filter = [
        "kind",
        "is_active",
        ClientStatusFilter,
        ("primary_therapist", AutocompleteFilter),
        "preferred_language",
    ]
    list_before_template = "caseload/admin/client_status_legend.html"
    actions = ["activate_clients", "deactivate_clients"]
    actions_row = ["activate", "deactivate"]
    actions_detail = ["take_payment", "activate", "deactivate", "privacy_export"]
    readonly_fields = ["colour"]
    search_fields = ["last_name", "first_name", "preferred_name", "email"]
    autocomplete_fields = ["primary_therapist"]
    inlines = [AuthorizationInline, ClientAppointmentInline, ContactConsentInline]
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
                    "colour",
                ]
            },
        ),
        (_("Contact"), {"fields": ["email", "phone", "address", "preferred_language"]}),
        (
            _("Reminders"),
            {
                "fields": [
                    "reminder_channel",
                    "email_consent",
                    "sms_consent",
                    "consent_method",
                    "consent_note",
                ]
            },
        ),
    ]

    @display(description=_("client"), ordering="last_name")
    def name(self, client):
        return client.listed_name

    @display(description=_("status"), label={_("Active"): "success", _("Deactivated"): "danger"})
    def active(self, client):
        return _("Active") if client.is_active else _("Deactivated")

    def save_model(self, request, obj, form, change):
        client_staff_save(
            client=obj,
            changed_fields=form.changed_data,
            consent_method=form.cleaned_data.get("consent_method", ""),
            consent_note=form.cleaned_data.get("consent_note", ""),
            by=request.user,
        )

    def get_queryset(self, request):
        # The colour is annotated (one rule, per-row subqueries): no query per client.
        return clients_with_status(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        """Names as the list shows them ("Last, First"), every word of a name, the file number
        ("#123"), or the email address (the list and every client picker)."""
        if not search_term.strip():
            return queryset, False
        matching = clients_matching(term=search_term).values("pk")
        return queryset.filter(Q(pk__in=matching) | Q(email__iexact=search_term.strip())), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "status_legend": status_legend()}
        return super().changelist_view(request, extra_context)

    @display(description=_("colour"), ordering="status", label=STATUS_LABELS)
    def colour(self, client):
        status = getattr(client, "status", None)
        return ClientStatus(status).label if status else "-"

    @admin.action(description=_("Activate the selected clients"), permissions=["change"])
    def activate_clients(self, request, queryset):
        self.run_service_on_each(
            request,
            client_activate,
            [client for client in queryset if not client.is_active],
            name="client",
            done=lambda count: (
                ngettext("%(count)d client activated.", "%(count)d clients activated.", count)
                % {"count": count}
            ),
        )

    @admin.action(description=_("Deactivate the selected clients"), permissions=["change"])
    def deactivate_clients(self, request, queryset):
        self.run_service_on_each(
            request,
            client_deactivate,
            [client for client in queryset if client.is_active],
            name="client",
            done=lambda count: (
                ngettext("%(count)d client deactivated.", "%(count)d clients deactivated.", count)
                % {"count": count}
            ),
        )

    @action(description=_("Activate"), icon="person_check", permissions=["change"])
    def activate(self, request, object_id):
        view = ClientActivationView.as_view(model_admin=self, active=True)
        return view(request, object_id=object_id)

    @action(description=_("Deactivate"), icon="person_off", permissions=["change"])
    def deactivate(self, request, object_id):
        view = ClientActivationView.as_view(model_admin=self, active=False)
        return view(request, object_id=object_id)
