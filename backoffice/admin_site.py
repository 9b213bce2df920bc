"""The staff admin site, and unfold's callbacks: environment badge, staff dashboard, sidebar
grouped by the clinic's work."""

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from backoffice.caseload.selectors import authorizations_expiring
from backoffice.documents.models import SendStatus
from backoffice.messaging.selectors import outbox_messages_failed
from backoffice.payouts.selectors import statements_email_failed
from backoffice.scheduling.selectors import appointments_on


class PickerJsonView(AutocompleteJsonView):
    """The admin's search-as-you-type pickers, each choice labelled by the model's
    `picker_label()` where it has one (clients: namesakes told apart)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if hasattr(obj, "picker_label"):
            result["text"] = obj.picker_label()
        return result


class CaseloadAdminSite(UnfoldAdminSite):
    """`admin.site` (set in backoffice.apps): unfold's site with Caseload's pickers."""

    def autocomplete_view(self, request):
        return PickerJsonView.as_view(admin_site=self)(request)


def environment_callback(request):
    if settings.PRODUCTION:
        return None
    return [_("Demo") if settings.DEBUG else _("Staging"), "warning"]


def _model_item(title, icon, app_label, model_name):
    return {
        "title": title,
        "icon": icon,
        "link": reverse_lazy(f"admin:{app_label}_{model_name}_changelist"),
        "permission": lambda request: request.user.has_perm(f"{app_label}.view_{model_name}"),
    }


def _payments_import_allowed(user) -> bool:
    from backoffice.billing.admin.views import payments_import_allowed

    return payments_import_allowed(user)


def sidebar_navigation(request):
    return [
        {
            "title": _("Scheduling"),
            "items": [
                _model_item(_("Appointments"), "event", "scheduling", "appointment"),
                _model_item(
                    _("Recurring series"), "event_repeat", "scheduling", "appointmentseries"
                ),
                {
                    "title": _("Week view"),
                    "icon": "calendar_view_week",
                    "link": reverse_lazy("reports:week"),
                    "permission": lambda request: request.user.has_perm(
                        "scheduling.view_appointment"
                    ),
                },
                {
                    "title": _("Room utilization"),
                    "icon": "analytics",
                    "link": reverse_lazy("reports:utilization"),
                    "permission": lambda request: request.user.has_perm(
                        "scheduling.view_roomreservation"
                    ),
                },
                _model_item(
                    _("Room reservations"), "meeting_room", "scheduling", "roomreservation"
                ),
                _model_item(_("Sites"), "apartment", "scheduling", "site"),
                _model_item(_("Rooms"), "door_front", "scheduling", "room"),
            ],
        },
        {
            "title": _("Clients"),
            "items": [
                _model_item(_("Clients"), "groups", "caseload", "client"),
                _model_item(_("Authorizations"), "verified", "caseload", "authorization"),
                _model_item(_("Therapists"), "psychology", "caseload", "therapist"),
                _model_item(_("Bad Fit list"), "person_alert", "scheduling", "badfitentry"),
                _model_item(_("Client requests"), "how_to_reg", "caseload", "clientstatusrequest"),
            ],
        },
        {
            "title": _("Billing"),
            "items": [
                _model_item(_("Invoices"), "receipt_long", "billing", "invoice"),
                _model_item(_("Payments"), "payments", "billing", "payment"),
                _model_item(_("Receipts"), "receipt", "billing", "receipt"),
                {
                    "title": _("Receivables"),
                    "icon": "hourglass_bottom",
                    "link": reverse_lazy("admin:billing_payment_receivables"),
                    "permission": lambda request: request.user.has_perm("billing.view_invoice"),
                },
                {
                    "title": _("Sessions set aside"),
                    "icon": "pending_actions",
                    "link": reverse_lazy("admin:billing_invoice_set_aside"),
                    "permission": lambda request: request.user.has_perm("billing.view_invoice"),
                },
                {
                    "title": _("Submission deadlines"),
                    "icon": "alarm",
                    "link": reverse_lazy("admin:billing_invoice_deadlines"),
                    "permission": lambda request: request.user.has_perm("billing.view_invoice"),
                },
                {
                    "title": _("Import payments"),
                    "icon": "upload_file",
                    "link": reverse_lazy("admin:billing_payment_import"),
                    "permission": lambda request: _payments_import_allowed(request.user),
                },
                _model_item(_("Payers"), "account_balance", "caseload", "payer"),
                _model_item(_("Payer rates"), "request_quote", "caseload", "payerrate"),
            ],
        },
        {
            "title": _("Payouts"),
            "items": [
                _model_item(_("Statements"), "request_quote", "payouts", "statement"),
                _model_item(_("Therapist rates"), "payments", "caseload", "therapistrate"),
            ],
        },
        {
            "title": _("Settings"),
            "items": [
                _model_item(_("Service types"), "category", "caseload", "servicetype"),
                _model_item(_("Message templates"), "edit_note", "messaging", "messagetemplate"),
                _model_item(_("Outbox"), "outbox", "messaging", "outboxmessage"),
                _model_item(_("Users"), "person", "accounts", "user"),
                _model_item(_("Roles"), "badge", "auth", "group"),
            ],
        },
    ]


def dashboard_callback(request, context):
    """The staff home: today's work at a glance, each figure linking to its list."""
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    appointments_url = reverse("admin:scheduling_appointment_changelist")
    authorizations_url = reverse("admin:caseload_authorization_changelist")
    context["caseload_cards"] = [
        {
            "title": _("Appointments today"),
            "value": appointments_on(day=today).count(),
            "icon": "event",
            "href": f"{appointments_url}?starts_at_from={today:%Y-%m-%d}"
            f"&starts_at_to={today:%Y-%m-%d}",
        },
        {
            "title": _("Appointments tomorrow"),
            "value": appointments_on(day=tomorrow).count(),
            "icon": "event_upcoming",
            "href": f"{appointments_url}?starts_at_from={tomorrow:%Y-%m-%d}"
            f"&starts_at_to={tomorrow:%Y-%m-%d}",
        },
        {
            "title": _("Authorizations expiring within 14 days"),
            "value": authorizations_expiring(within_days=14).count(),
            "icon": "hourglass_bottom",
            "href": f"{authorizations_url}?valid_until_from={today:%Y-%m-%d}"
            f"&valid_until_to={today + timedelta(days=14):%Y-%m-%d}",
        },
        {
            "title": _("Messages that failed to send"),
            "value": outbox_messages_failed().count(),
            "icon": "error",
            "href": reverse("admin:messaging_outboxmessage_changelist") + "?status__exact=failed",
        },
    ]
    # A therapist's statement that did not reach them: shown while there is one to deal with.
    failed_statements = statements_email_failed().count()
    if failed_statements:
        context["caseload_cards"].append(
            {
                "title": _("Statements whose email failed"),
                "value": failed_statements,
                "icon": "unsubscribe",
                "href": reverse("admin:payouts_statement_changelist")
                + f"?send_status__exact={SendStatus.FAILED}",
            }
        )
    return context
