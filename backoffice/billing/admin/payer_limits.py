"""Payer limits in the admin: the pages of sessions set aside at invoicing (with staff's
decision) and of sessions close to their payer's submission deadline (admin.views), and the
decisions made, read only.

`PayerLimitsAdminMixin` goes before the ModelAdmin base of the invoice admin: its pages are
reached from the sidebar and the month run's message.
"""

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import CaseloadAdmin, ReadOnlyAdminMixin
from backoffice.billing.admin.views import DeadlinesView, SetAsideView, admin_page
from backoffice.billing.models import SetAsideDecision


class PayerLimitsAdminMixin:
    """The two lists' pages, under the invoices' URLs (linked from the sidebar)."""

    def get_urls(self):
        return [
            path("set-aside/", admin_page(self, SetAsideView), name="billing_invoice_set_aside"),
            path("deadlines/", admin_page(self, DeadlinesView), name="billing_invoice_deadlines"),
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
