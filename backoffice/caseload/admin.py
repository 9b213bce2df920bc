from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from unfold.contrib.filters.admin import AutocompleteSelectFilter, RangeDateFilter
from unfold.decorators import action, display
from unfold.utils import display_for_label
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import (
    UnfoldAdminDateWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
)

from backoffice.admin_base import (
    AnnotatedChoicesFilter,
    CaseloadAdmin,
    CaseloadTabularInline,
    TakePaymentActionMixin,
)
from backoffice.billing.selectors import (
    ClientStatus,
    authorizations_with_status,
    clients_with_status,
    therapist_caseload,
)
from backoffice.caseload.models import (
    Authorization,
    Client,
    Payer,
    PayerRate,
    ServiceType,
    Therapist,
    TherapistRate,
)
from backoffice.caseload.services import (
    authorization_extend,
    authorization_renewal_submit,
    client_activate,
    client_deactivate,
)
from backoffice.scheduling.models import Appointment
from backoffice.scheduling.selectors import clients_matching

# Unfold has no pink label: "primary" (the clinic's accent) stands in for it.
STATUS_LABELS = {
    ClientStatus.RED.label: "danger",
    ClientStatus.PINK.label: "primary",
    ClientStatus.NORMAL.label: "success",
}
ACTION_FORM_TEMPLATE = "caseload/admin/action_form.html"


def status_label(status: str) -> str:
    """The colour as unfold's label, for pages that are not changelist columns."""
    return display_for_label(ClientStatus(status).label, "-", STATUS_LABELS)


_STATUS_MEANINGS = [
    (
        ClientStatus.RED,
        _(
            "An authorization in force has few sessions left or expires soon: renewal "
            "documents should go to the payer. A self-paying client with more than one "
            "unpaid session is red too."
        ),
    ),
    (
        ClientStatus.PINK,
        _("Renewal documents were submitted; waiting for the payer's extension."),
    ),
    (ClientStatus.NORMAL, _("Nothing to do.")),
]


def status_legend() -> list[tuple[str, str]]:
    """(label HTML, meaning) for each colour: the legend above client lists."""
    return [(status_label(status), meaning) for status, meaning in _STATUS_MEANINGS]


def render_action_form(request, model_admin, *, form, title, intro="", obj=None):
    return render(
        request,
        ACTION_FORM_TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "object": obj,
            "opts": model_admin.model._meta,
            "cancel_url": request.GET.get("next") or "",
        },
    )


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


class ScriptsMedia:
    # The admin calendar needs these before unfold's date widgets.
    js = [
        "admin/js/vendor/jquery/jquery.min.js",
        "admin/js/jquery.init.js",
        "admin/js/core.js",
        "admin/js/calendar.js",
        "admin/js/admin/DateTimeShortcuts.js",
    ]


class RenewalSubmitForm(forms.Form):
    submitted_at = forms.SplitDateTimeField(
        label=_("Documents sent to the payer"), widget=UnfoldAdminSplitDateTimeWidget
    )
    note = forms.CharField(
        label=_("Renewal note"), required=False, widget=UnfoldAdminTextareaWidget
    )
    document = forms.FileField(
        label=_("Renewal document"), required=False, widget=UnfoldAdminFileFieldWidget
    )

    Media = ScriptsMedia


class ExtensionForm(forms.Form):
    sessions_approved = forms.IntegerField(
        label=_("Sessions approved (new total)"),
        required=False,
        min_value=1,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    valid_until = forms.DateField(
        label=_("New expiry"), required=False, widget=UnfoldAdminDateWidget
    )
    note = forms.CharField(
        label=_("Note (kept in history)"), required=False, widget=UnfoldAdminTextareaWidget
    )

    Media = ScriptsMedia

    def clean(self):
        data = super().clean()
        if data.get("sessions_approved") is None and data.get("valid_until") is None:
            raise ValidationError(_("Enter a new number of sessions, a new expiry, or both."))
        return data


class ActivationForm(forms.Form):
    note = forms.CharField(
        label=_("Why (kept in history)"), required=False, widget=UnfoldAdminTextareaWidget
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


class TherapistCaseloadView(UnfoldModelAdminViewMixin, TemplateView):
    """One therapist's clients: direct / indirect, active / deactivated, with their colour."""

    template_name = "caseload/admin/therapist_caseload.html"
    permission_required = ("caseload.view_therapist", "caseload.view_client")

    def get_context_data(self, **kwargs):
        therapist = get_object_or_404(Therapist, pk=self.kwargs["object_id"])
        self.title = _("Clients of %(therapist)s") % {"therapist": therapist}
        sections = therapist_caseload(therapist=therapist)
        for section in sections:
            for client in section["clients"]:
                client.status_label = status_label(client.status)
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "therapist": therapist,
                "sections": sections,
                "legend": status_legend(),
                "may_change_clients": self.request.user.has_perm("caseload.change_client"),
            }
        )
        return context


@admin.register(Therapist)
class TherapistAdmin(CaseloadAdmin):
    list_display = [
        "__str__",
        "designation",
        "registration_number",
        "email",
        "phone",
        "is_active",
        "caseload_link",
    ]
    list_filter = ["is_active", "designation"]
    search_fields = ["last_name", "first_name", "email", "registration_number"]
    autocomplete_fields = ["user"]
    inlines = [TherapistRateInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "user",
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "preferred_language",
                    "is_active",
                ]
            },
        ),
        (_("Professional"), {"fields": ["designation", "registration_number"]}),
    ]
    actions_row = ["open_caseload"]
    actions_detail = ["open_caseload"]

    def get_urls(self):
        view = self.admin_site.admin_view(TherapistCaseloadView.as_view(model_admin=self))
        return [
            path("<path:object_id>/caseload/", view, name="caseload_therapist_caseload"),
            *super().get_urls(),
        ]

    @display(description=_("clients"))
    def caseload_link(self, therapist):
        url = reverse("admin:caseload_therapist_caseload", args=[therapist.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, _("Clients"))

    @action(description=_("Clients"), icon="groups", url_path="open-caseload")
    def open_caseload(self, request, object_id):
        return redirect("admin:caseload_therapist_caseload", object_id)


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


class LatestRowsFormSet(BaseInlineFormSet):
    """The newest `limit` rows only: a page of a long history, without counting it."""

    limit = 10

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[: self.limit]
        return self._latest


class LatestAuthorizationsFormSet(LatestRowsFormSet):
    limit = 5


class AuthorizationInline(CaseloadTabularInline):
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
    readonly_fields = fields
    ordering = ["-valid_until"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payer")


class ClientAppointmentInline(CaseloadTabularInline):
    """The client's latest appointments; the whole history is a link to the filtered list."""

    model = Appointment
    formset = LatestRowsFormSet
    fk_name = "billing_client"
    verbose_name_plural = _("Appointments")
    fields = ["starts_at", "therapist", "service_type", "attendance", "status", "fee_amount"]
    readonly_fields = fields
    ordering = ["-starts_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("therapist", "service_type")


class ClientStatusFilter(AnnotatedChoicesFilter):
    title = _("colour")
    parameter_name = "colour"
    options = ClientStatus
    annotation = "status"


@admin.register(Client)
class ClientAdmin(TakePaymentActionMixin, CaseloadAdmin):
    take_payment_by = "client"
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
        ("primary_therapist", AutocompleteSelectFilter),
        "preferred_language",
    ]
    list_before_template = "caseload/admin/client_status_legend.html"
    actions = ["activate_clients", "deactivate_clients"]
    actions_row = ["activate", "deactivate"]
    actions_detail = ["take_payment", "activate", "deactivate"]
    readonly_fields = ["colour"]
    search_fields = ["last_name", "first_name", "preferred_name", "email"]
    autocomplete_fields = ["primary_therapist"]
    inlines = [AuthorizationInline, ClientAppointmentInline]
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
        (_("Reminders"), {"fields": ["reminder_channel", "email_consent", "sms_consent"]}),
    ]

    @display(description=_("client"), ordering="last_name")
    def name(self, client):
        return f"{client.last_name}, {client.first_name}"

    @display(description=_("status"), label={_("Active"): "success", _("Deactivated"): "danger"})
    def active(self, client):
        return _("Active") if client.is_active else _("Deactivated")

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
        changed = [c for c in queryset if not c.is_active]
        for client in changed:
            client_activate(client=client)
        self.message_user(
            request,
            ngettext("%(count)d client activated.", "%(count)d clients activated.", len(changed))
            % {"count": len(changed)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate the selected clients"), permissions=["change"])
    def deactivate_clients(self, request, queryset):
        changed = [c for c in queryset if c.is_active]
        for client in changed:
            client_deactivate(client=client)
        self.message_user(
            request,
            ngettext(
                "%(count)d client deactivated.", "%(count)d clients deactivated.", len(changed)
            )
            % {"count": len(changed)},
            messages.SUCCESS,
        )

    @action(description=_("Activate"), icon="person_check", permissions=["change"])
    def activate(self, request, object_id):
        return self._set_active(request, object_id, active=True)

    @action(description=_("Deactivate"), icon="person_off", permissions=["change"])
    def deactivate(self, request, object_id):
        return self._set_active(request, object_id, active=False)

    def _set_active(self, request, object_id, *, active):
        client = get_object_or_404(Client, pk=object_id)
        done_url = safe_next(request, reverse("admin:caseload_client_change", args=[client.pk]))
        form = ActivationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            service = client_activate if active else client_deactivate
            service(client=client, note=form.cleaned_data["note"])
            message = _("%(client)s is active.") if active else _("%(client)s is deactivated.")
            self.message_user(request, message % {"client": client}, messages.SUCCESS)
            return redirect(done_url)
        title = _("Activate %(client)s") if active else _("Deactivate %(client)s")
        return render_action_form(
            request, self, form=form, title=title % {"client": client}, obj=client
        )


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
        "renewal_note",
        "renewal_document",
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
            {"fields": ["renewal_submitted_at", "renewal_note", "renewal_document"]},
        ),
    ]
    list_select_related = ["client", "payer"]
    list_filter = [
        ("payer", AutocompleteSelectFilter),
        ("client", AutocompleteSelectFilter),
        ("valid_until", RangeDateFilter),
    ]
    search_fields = ["reference_number", "client__last_name", "client__first_name"]
    autocomplete_fields = ["client", "payer"]

    def get_queryset(self, request):
        # Usage is annotated with per-row subqueries: constant queries for the list (P1).
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
        authorization = get_object_or_404(Authorization, pk=object_id)
        form = RenewalSubmitForm(
            request.POST or None,
            request.FILES or None,
            initial={"submitted_at": timezone.localtime()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                authorization_renewal_submit(authorization=authorization, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                self.message_user(
                    request,
                    _("Renewal documents recorded for %(authorization)s.")
                    % {"authorization": authorization},
                    messages.SUCCESS,
                )
                return redirect("admin:caseload_authorization_change", authorization.pk)
        return render_action_form(
            request,
            self,
            form=form,
            obj=authorization,
            title=_("Renewal documents for %(authorization)s") % {"authorization": authorization},
            intro=_("The client shows pink until the payer's extension is entered."),
        )

    @action(description=_("Extend"), icon="more_time", permissions=["change"])
    def extend(self, request, object_id):
        authorization = get_object_or_404(Authorization, pk=object_id)
        form = ExtensionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                authorization_extend(authorization=authorization, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                self.message_user(
                    request,
                    _("%(authorization)s extended.") % {"authorization": authorization},
                    messages.SUCCESS,
                )
                return redirect("admin:caseload_authorization_change", authorization.pk)
        return render_action_form(
            request,
            self,
            form=form,
            obj=authorization,
            title=_("Extend %(authorization)s") % {"authorization": authorization},
            intro=_(
                "Now %(sessions)s sessions until %(until)s. An extension raises the sessions "
                "and/or moves the expiry later; it never lowers them."
            )
            % {"sessions": authorization.sessions_approved, "until": authorization.valid_until},
        )
