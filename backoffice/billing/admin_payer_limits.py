"""Payer limits in the admin: sessions set aside at invoicing (with staff's decision) and
sessions close to their payer's submission deadline; both lists come from
billing.payer_limits, decisions go through billing.services.set_aside.

`PayerLimitsAdminMixin` goes before the ModelAdmin base of the invoice admin: its pages are
reached from the sidebar and the month run's message.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.decorators import display
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.admin_base import CaseloadAdmin, ReadOnlyAdminMixin
from backoffice.billing.models import SetAsideDecision, SetAsideOutcome
from backoffice.billing.selectors import (
    DEADLINE_WARNING_DAYS,
    sessions_near_submission_deadline,
    sessions_set_aside,
)
from backoffice.billing.services.set_aside import set_aside_decide
from backoffice.scheduling.models import Appointment


class SetAsideDecisionForm(forms.Form):
    appointment = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Decision"), choices=SetAsideOutcome.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class SetAsideView(UnfoldModelAdminViewMixin, TemplateView):
    """Sessions the month run set aside at their payer's limits, each with its decision."""

    title = _("Sessions set aside at payer limits")
    template_name = "admin/billing/invoice/set_aside.html"
    permission_required = ("billing.view_invoice",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "opts": self.model_admin.model._meta,
                "sessions": sessions_set_aside(),
                "outcomes": SetAsideOutcome.choices,
                "may_decide": self.request.user.has_perm("billing.change_invoice"),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("billing.change_invoice"):
            raise PermissionDenied
        form = SetAsideDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose what to do with the session."))
            return redirect("admin:billing_invoice_set_aside")
        appointment = get_object_or_404(Appointment, pk=form.cleaned_data["appointment"])
        try:
            decision = set_aside_decide(
                appointment=appointment,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Session #%(pk)s: %(decision)s.")
                % {"pk": appointment.pk, "decision": decision.get_outcome_display().lower()},
            )
        return redirect("admin:billing_invoice_set_aside")


class DeadlinesView(UnfoldModelAdminViewMixin, TemplateView):
    """Sessions to submit to their payer before its submission deadline passes."""

    title = _("Payer submission deadlines")
    template_name = "admin/billing/invoice/deadlines.html"
    permission_required = ("billing.view_invoice",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "opts": self.model_admin.model._meta,
                "sessions": sessions_near_submission_deadline(),
                "within_days": DEADLINE_WARNING_DAYS,
            }
        )
        return context


class PayerLimitsAdminMixin:
    """The two lists' pages, under the invoices' URLs (linked from the sidebar)."""

    def get_urls(self):
        def view(cls):
            return self.admin_site.admin_view(cls.as_view(model_admin=self))

        return [
            path("set-aside/", view(SetAsideView), name="billing_invoice_set_aside"),
            path("deadlines/", view(DeadlinesView), name="billing_invoice_deadlines"),
            *super().get_urls(),
        ]


@admin.register(SetAsideDecision)
class SetAsideDecisionAdmin(ReadOnlyAdminMixin, CaseloadAdmin):
    """Decisions are made on the list of sessions set aside; here they are read, with history."""

    list_display = ["decided_at", "session", "authorization", "reason", "outcome", "decided_by"]
    list_select_related = ["appointment__billing_client", "authorization__payer", "decided_by"]
    list_filter = ["outcome", "reason"]
    readonly_fields = [
        "appointment",
        "authorization",
        "reason",
        "outcome",
        "note",
        "decided_by",
        "decided_at",
    ]
    fields = readonly_fields

    @display(description=_("session"), ordering="appointment__starts_at")
    def session(self, decision):
        return f"{decision.appointment} · {decision.appointment.billing_client}"
