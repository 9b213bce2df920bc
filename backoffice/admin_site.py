"""unfold callbacks: the environment badge and the sidebar grouped by the clinic's work."""

from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


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


def sidebar_navigation(request):
    return [
        {
            "title": _("Scheduling"),
            "items": [
                _model_item(_("Appointments"), "event", "scheduling", "appointment"),
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
            ],
        },
        {
            "title": _("Billing"),
            "items": [
                _model_item(_("Payers"), "account_balance", "caseload", "payer"),
                _model_item(_("Payer rates"), "request_quote", "caseload", "payerrate"),
            ],
        },
        {
            "title": _("Payouts"),
            "items": [
                _model_item(_("Therapist rates"), "payments", "caseload", "therapistrate"),
            ],
        },
        {
            "title": _("Settings"),
            "items": [
                _model_item(_("Service types"), "category", "caseload", "servicetype"),
                _model_item(_("Outbox"), "outbox", "messaging", "outboxmessage"),
                _model_item(_("Users"), "person", "accounts", "user"),
                _model_item(_("Roles"), "badge", "auth", "group"),
            ],
        },
    ]
