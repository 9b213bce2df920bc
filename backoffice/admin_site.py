"""The staff admin site, and unfold's callbacks: environment badge, staff dashboard, sidebar
grouped by the clinic's work."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from backoffice.billing.selectors import BUCKETS as AGE_BUCKETS
from backoffice.billing.selectors import ClientStatus
from backoffice.documents.formatting import person_name
from backoffice.reports.selectors import clinic_day
from backoffice.scheduling.models import AppointmentStatus
from backoffice.worklist.models import RuleKey
from backoffice.worklist.rules import RULES
from backoffice.worklist.selectors import (
    TaskCounts,
    task_counts,
    tasks_open_for,
    therapists_with_clients_in_red,
)
from backoffice.zone_data import month_bounds


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

    index_title = _("Home")

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
        _tasks_navigation(request),
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
                _model_item(_("SMS received"), "sms", "messaging", "inboundsms"),
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
            "title": _("Privacy"),
            "items": [
                _model_item(_("Privacy requests"), "policy", "privacy", "privacyrequest"),
                _model_item(_("Breach register"), "gpp_maybe", "privacy", "breach"),
                _model_item(_("Access log"), "visibility", "access", "accessrecord"),
            ],
        },
        {
            "title": _("Settings"),
            "items": [
                _model_item(_("Service types"), "category", "caseload", "servicetype"),
                _model_item(_("Reminder times"), "schedule", "reminders", "reminderoffset"),
                _model_item(_("Message templates"), "edit_note", "messaging", "messagetemplate"),
                _model_item(_("Outbox"), "outbox", "messaging", "outboxmessage"),
                _model_item(_("Users"), "person", "accounts", "user"),
                _model_item(_("Roles"), "badge", "auth", "group"),
            ],
        },
    ]


def _task_counts(request) -> TaskCounts:
    """The open-task counts of this request: the home page and the sidebar's badges share one
    query."""
    if not hasattr(request, "_caseload_task_counts"):
        request._caseload_task_counts = task_counts(user=request.user, today=timezone.localdate())
    return request._caseload_task_counts


def _tasks_navigation(request) -> dict:
    """The worklist's sidebar group, each item with its count of open tasks (when any): the
    same query the home page shows its counts from."""
    allowed = request.user.is_authenticated and request.user.has_perm("worklist.view_task")
    counts = _task_counts(request) if allowed else TaskCounts()
    tasks_url = reverse("admin:worklist_task_changelist")
    items = [
        (_("Open tasks"), "task_alt", tasks_url, counts.open),
        (_("My tasks"), "assignment_ind", f"{tasks_url}?assignee=me", counts.mine),
    ]
    return {
        "title": _("Worklist"),
        "items": [
            {
                "title": title,
                "icon": icon,
                "link": link,
                **({"badge": count} if count else {}),
                "permission": lambda request: request.user.has_perm("worklist.view_task"),
            }
            for title, icon, link, count in items
        ],
    }


def _day_range(url: str, day: date, **filters) -> str:
    query = urlencode(
        {"starts_at_from": f"{day:%Y-%m-%d}", "starts_at_to": f"{day:%Y-%m-%d}", **filters}
    )
    return f"{url}?{query}"


def _tasks_section(request, today: date) -> dict:
    from backoffice.worklist.admin.tasks import subject_url  # registers with this site

    tasks_url = reverse("admin:worklist_task_changelist")
    counts = _task_counts(request)
    rows = [
        {
            "task": task,
            "rule": RULES[task.rule].key.label,
            "ask": RULES[task.rule].describe(task.facts),
            "url": subject_url(task),
            "overdue": task.due_on < today,
            "mine": task.assignee_id == request.user.pk,
        }
        for task in tasks_open_for(user=request.user)
    ]
    return {
        "counts": counts,
        "rules": [
            {
                "count": count,
                "label": RuleKey(count.rule).label,
                "href": f"{tasks_url}?rule__exact={count.rule}",
            }
            for count in counts.rules
        ],
        "mine": [row for row in rows if row["mine"]],
        "all": rows,
        "list_url": tasks_url,
        "mine_url": f"{tasks_url}?assignee=me",
        "form_url": reverse("admin:worklist_task_home"),
        "can_change": request.user.has_perm("worklist.change_task"),
    }


def _day_section(request, today: date) -> dict:
    day = clinic_day(today=today)
    appointments_url = reverse("admin:scheduling_appointment_changelist")
    tomorrow = today + timedelta(days=1)
    last_month = month_bounds(today.replace(day=1) - timedelta(days=1))[0]
    clients_url = reverse("admin:caseload_client_changelist")
    utilization_url = (
        reverse("reports:utilization")
        + "?"
        + urlencode(
            {"date_from": f"{today.replace(day=1):%Y-%m-%d}", "date_to": f"{today:%Y-%m-%d}"}
        )
    )
    return {
        "today": [
            {
                "label": AppointmentStatus(status).label,
                "value": count,
                "href": _day_range(appointments_url, today, status__exact=status),
            }
            for status, count in day.sessions_today.items()
        ],
        "today_total": sum(day.sessions_today.values()),
        "today_url": _day_range(appointments_url, today),
        "tomorrow": day.sessions_tomorrow,
        "tomorrow_url": _day_range(appointments_url, tomorrow),
        "unbilled": _task_counts(request).month_not_invoiced,
        "unbilled_month": last_month,
        "unbilled_url": reverse("admin:worklist_task_changelist")
        + f"?rule__exact={RuleKey.MONTH_NOT_INVOICED}&state=all",
        "receivables": [
            {"label": label, "value": day.receivables[key]} for key, label, *_days in AGE_BUCKETS
        ],
        "receivables_total": day.receivables["total"],
        "receivables_url": reverse("admin:billing_payment_receivables"),
        "underused_rooms": day.underused_rooms,
        "utilization_url": utilization_url,
        "bad_fit": day.bad_fit,
        "bad_fit_url": reverse("admin:scheduling_badfitentry_changelist"),
        "red_therapists": [
            {
                "name": person_name(
                    row["primary_therapist__first_name"], row["primary_therapist__last_name"]
                ),
                "count": row["red_count"],
                "href": f"{clients_url}?"
                + urlencode(
                    {"colour": ClientStatus.RED, "primary_therapist": row["primary_therapist"]}
                ),
            }
            for row in therapists_with_clients_in_red()
        ],
        "red_url": f"{clients_url}?colour={ClientStatus.RED}",
    }


def dashboard_callback(request, context):
    """The staff home: the worklist (my tasks, every open task, counts per rule) and the
    clinic's day, each figure linking to the list behind it. Ten queries in all, whatever the
    history (docs/quality.md, list pages)."""
    today = timezone.localdate()
    context["worklist"] = _tasks_section(request, today)
    context["clinic_day"] = _day_section(request, today)
    return context
