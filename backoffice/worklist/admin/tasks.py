"""The task list: open tasks first, filters by rule, assignee, due, subject and state; mark
done and assign several at once. Tasks are written by the rules, never added by hand."""

from datetime import timedelta

from django.contrib import admin
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from backoffice.admin_base import CaseloadAdmin, DefaultChoiceFilter
from backoffice.worklist.admin.views import (
    HomeTasksView,
    TasksAssignView,
    TasksDoneView,
    assigned,
)
from backoffice.worklist.models import Priority, RuleKey, SubjectType, Task, TaskState
from backoffice.worklist.rules import RULES
from backoffice.worklist.selectors import run_report_of, staff_users
from backoffice.worklist.services import tasks_assign

# Where a task's subject is shown: its admin page (MONTH and RUN subjects: see subject_url).
SUBJECT_PAGES = {
    SubjectType.CLIENT: "admin:caseload_client_change",
    SubjectType.AUTHORIZATION: "admin:caseload_authorization_change",
    SubjectType.BAD_FIT_ENTRY: "admin:scheduling_badfitentry_change",
    SubjectType.INVOICE: "admin:billing_invoice_change",
    SubjectType.PAYER: "admin:caseload_payer_change",
    SubjectType.MESSAGE: "admin:messaging_outboxmessage_change",
    SubjectType.THERAPIST: "admin:caseload_therapist_change",
    SubjectType.SMS_RECEIVED: "admin:messaging_inboundsms_change",
}


def subject_url(task: Task) -> str:
    """The page where the task's subject is dealt with."""
    subject = RULES[task.rule].subject
    if subject in SUBJECT_PAGES:
        return reverse(SUBJECT_PAGES[subject], args=[task.subject_id])
    if task.rule == RuleKey.MONTH_NOT_INVOICED:
        return reverse("admin:billing_invoice_generate_month")
    if task.rule == RuleKey.STATEMENTS_NOT_SENT:
        year, month = divmod(task.subject_id, 100)
        return reverse("admin:payouts_statement_changelist") + f"?month={year:04d}-{month:02d}"
    return reverse("admin:worklist_task_change", args=[task.pk])  # a run's problems


class TaskStateFilter(DefaultChoiceFilter):
    title = _("state")
    parameter_name = "state"
    default = TaskState.OPEN

    def lookups(self, request, model_admin):
        return [*TaskState.choices, ("all", _("All"))]

    def queryset(self, request, queryset):
        if self.value() in TaskState.values:
            return queryset.filter(state=self.value())
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assignee"
    ME, NOBODY = "me", "nobody"

    def lookups(self, request, model_admin):
        people = [(str(user.pk), user.get_full_name() or user.username) for user in staff_users()]
        return [(self.ME, _("Me")), (self.NOBODY, _("Nobody")), *people]

    def queryset(self, request, queryset):
        if self.value() == self.ME:
            return queryset.filter(assignee=request.user)
        if self.value() == self.NOBODY:
            return queryset.filter(assignee__isnull=True)
        if self.value() and self.value().isdigit():
            return queryset.filter(assignee_id=self.value())
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("today", _("Today")),
            ("week", _("Within a week")),
            ("later", _("Later")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        week = today + timedelta(days=7)
        return {
            "overdue": lambda: queryset.filter(due_on__lt=today),
            "today": lambda: queryset.filter(due_on=today),
            "week": lambda: queryset.filter(due_on__gt=today, due_on__lte=week),
            "later": lambda: queryset.filter(due_on__gt=week),
        }.get(self.value(), lambda: queryset)()


class SubjectTypeFilter(admin.SimpleListFilter):
    title = _("about")
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        used = {rule.subject for rule in RULES.values()}
        return [(value, label) for value, label in SubjectType.choices if value in used]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                rule__in=[key for key, rule in RULES.items() if rule.subject == self.value()]
            )
        return queryset


@admin.register(Task)
class TaskAdmin(CaseloadAdmin):
    list_display = ["ask", "about", "due", "priority_shown", "assignee", "state_shown"]
    list_display_links = ["ask"]
    list_select_related = ["assignee"]
    list_filter = [TaskStateFilter, "rule", AssigneeFilter, DueFilter, SubjectTypeFilter]
    search_fields = ["subject_label"]
    search_help_text = _("Search by what the task is about (a name, an invoice number).")
    ordering = ["due_on", "priority", "pk"]
    actions = ["mark_done", "assign_to_me", "assign"]
    fields = [
        "ask",
        "about",
        "details",
        "due_on",
        "priority",
        "state",
        "assignee",
        "opened_at",
        "done_at",
        "done_by",
        "done_note",
        "cause_ended_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # the rules write tasks

    def has_delete_permission(self, request, obj=None):
        return False  # a task ends done or closed, and stays

    def get_urls(self):
        home = path(
            "home/",
            self.admin_site.admin_view(HomeTasksView.as_view(model_admin=self)),
            name="worklist_task_home",
        )
        return [home, *super().get_urls()]

    @display(description=_("task"), ordering="rule")
    def ask(self, task):
        rule = RULES[task.rule]
        return format_html("<strong>{}</strong><br>{}", rule.key.label, rule.describe(task.facts))

    @display(description=_("about"), ordering="subject_label")
    def about(self, task):
        return format_html('<a href="{}">{}</a>', subject_url(task), task.subject_label)

    @display(description=_("due"), ordering="due_on", label={_("Overdue"): "danger"})
    def due(self, task):
        if task.is_overdue:
            return _("Overdue"), f"{task.due_on:%Y-%m-%d}"
        return f"{task.due_on:%Y-%m-%d}"

    @display(
        description=_("priority"),
        ordering="priority",
        label={Priority.HIGH.label: "danger", Priority.LOW.label: "info"},
    )
    def priority_shown(self, task):
        return task.get_priority_display()

    @display(
        description=_("state"),
        ordering="state",
        label={
            TaskState.OPEN.label: "warning",
            TaskState.DONE.label: "success",
            TaskState.CLOSED.label: "info",
        },
    )
    def state_shown(self, task):
        return task.get_state_display()

    @display(description=_("details"))
    def details(self, task):
        """A month run's problems, listed on its task's page."""
        report = run_report_of(task=task)
        if report is None:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html("".join("<li>{}</li>" for _problem in report.problems), *report.problems),
        )

    @action(description=_("Mark done"), permissions=["change"])
    def mark_done(self, request, queryset):
        return TasksDoneView.as_view(model_admin=self, tasks=queryset)(request)

    @action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self.run_service(
            request,
            tasks_assign,
            done=assigned,
            tasks=queryset,
            assignee=request.user,
            by=request.user,
        )

    @action(description=_("Assign to…"), permissions=["change"])
    def assign(self, request, queryset):
        return TasksAssignView.as_view(model_admin=self, tasks=queryset)(request)
