"""Therapists and their effective-dated rates; each therapist's clients on a page of its own;
invitations to the portal."""

from django.contrib import admin
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin
from backoffice.caseload.admin.rates import RatesInline
from backoffice.caseload.admin.views import TherapistCaseloadView
from backoffice.caseload.models import Therapist, TherapistRate
from backoffice.caseload.services import therapist_invite


class TherapistRateInline(RatesInline):
    model = TherapistRate


@admin.register(Therapist)
class TherapistAdmin(CaseloadAdmin):
    list_display = [
        "__str__",
        "designation",
        "registration_number",
        "email",
        "phone",
        "is_active",
        "invited_at",
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
                    "invited_at",
                ]
            },
        ),
        (_("Professional"), {"fields": ["designation", "registration_number"]}),
    ]
    readonly_fields = ["invited_at"]
    actions = ["invite_to_portal"]
    actions_row = ["open_caseload"]
    actions_detail = ["open_caseload", "invite"]

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

    @action(description=_("Invite to the portal"), permissions=["change"])
    def invite_to_portal(self, request, queryset):
        self.run_service_on_each(
            request,
            therapist_invite,
            queryset.select_related("user"),
            name="therapist",
            done=lambda count: (
                ngettext(
                    "%(count)d therapist invited: each gets an email with a link to set "
                    "their password.",
                    "%(count)d therapists invited: each gets an email with a link to set "
                    "their password.",
                    count,
                )
                % {"count": count}
            ),
            by=request.user,
        )

    @action(
        description=_("Invite to the portal"),
        icon="forward_to_inbox",
        url_path="invite",
        permissions=["change"],
        dialog={
            "title": _("Invite this therapist to the portal?"),
            "description": _(
                "They get an email with their username and a link to set their password. "
                "The link works once, for a few days; inviting again sends a new one."
            ),
            "form_submit_text": _("Send the invitation"),
        },
    )
    def invite(self, request, form, object_id):
        therapist = get_object_or_404(self.get_queryset(request), pk=object_id)
        self.run_service(
            request,
            therapist_invite,
            done=_(
                "%(therapist)s invited: an email with a link to set their password is on its way."
            )
            % {"therapist": therapist},
            therapist=therapist,
            by=request.user,
        )
        return self.back_after_dialog(request)


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
    list_filter = [("therapist", AutocompleteFilter), "service_fee_kind"]
    search_fields = ["therapist__last_name", "therapist__first_name"]
    autocomplete_fields = ["therapist", "service_type"]
