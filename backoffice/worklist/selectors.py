"""Reads of the worklist: open tasks for a staff member's home and the sidebar, counts per
rule, and what the tasks already know about the clinic (clients in red per therapist)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from backoffice.accounts.models import Role, User
from backoffice.caseload.models import Authorization, Client
from backoffice.worklist.models import Priority, RuleKey, RunReport, Task, TaskState
from backoffice.worklist.rules import RULES

HOME_TASKS = 30


def rules_of_team(team: str) -> list[str]:
    return [key for key, rule in RULES.items() if rule.team == team]


def user_team(user) -> str:
    """The role whose rules come first on the user's home: finance's for staff who bill but
    do not manage clients (the finance role), else the administrators'. Read from the
    permissions the admin has already loaded for the request, so it costs no query."""
    if user.has_perm("billing.change_invoice") and not user.has_perm("caseload.change_client"):
        return Role.FINANCE
    return Role.ADMIN


def tasks_open_for(*, user, limit: int = HOME_TASKS) -> list[Task]:
    """Open tasks as the user's home lists them: the user's team's rules first, then overdue
    first (due day), then priority; the user's own among them. One query."""
    team_first = Case(
        When(rule__in=rules_of_team(user_team(user)), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        Task.objects.filter(state=TaskState.OPEN)
        .select_related("assignee")
        .alias(team_first=team_first)
        .order_by("team_first", "due_on", "priority", "pk")[:limit]
    )


@dataclass
class RuleCount:
    rule: str
    open: int = 0
    overdue: int = 0
    mine: int = 0


@dataclass
class TaskCounts:
    """Open tasks per rule (with the overdue and the user's), and the unbilled sessions of
    last month the month rule counted at its last run."""

    rules: list[RuleCount] = field(default_factory=list)
    month_not_invoiced: int = 0

    @property
    def open(self) -> int:
        return sum(count.open for count in self.rules)

    @property
    def mine(self) -> int:
        return sum(count.mine for count in self.rules)

    @property
    def overdue(self) -> int:
        return sum(count.overdue for count in self.rules)


def task_counts(*, user, today: date) -> TaskCounts:
    """One GROUP BY over current tasks (their cause holds): the home's counts, the sidebar's
    badge and the month rule's figure. Rules in the user's team's order."""
    open_ = Q(state=TaskState.OPEN)
    rows = (
        Task.objects.filter(cause_ended_at__isnull=True)
        .values("rule")
        .annotate(
            open=Count("pk", filter=open_),
            overdue=Count("pk", filter=open_ & Q(due_on__lt=today)),
            mine=Count("pk", filter=open_ & Q(assignee=user)),
            sessions=Max(
                Cast(KT("facts__count"), IntegerField()),
                filter=Q(rule=RuleKey.MONTH_NOT_INVOICED),
            ),
        )
        .order_by()
    )
    counts = TaskCounts()
    by_rule = {}
    for row in rows:
        counts.month_not_invoiced = max(counts.month_not_invoiced, row["sessions"] or 0)
        if row["open"]:
            by_rule[row["rule"]] = RuleCount(row["rule"], row["open"], row["overdue"], row["mine"])
    team = rules_of_team(user_team(user))
    counts.rules = sorted(
        by_rule.values(), key=lambda count: (count.rule not in team, -count.overdue, count.rule)
    )
    return counts


def therapists_with_clients_in_red(limit: int = 10) -> list[dict]:
    """Therapists whose clients are red, most first: `primary_therapist`, its names and
    `red_count`. Read from the current tasks of the rules that are the colour's red halves —
    an authorization running out at the red thresholds (its high-priority tasks) and a direct
    client with unpaid sessions — so one query over the tasks, not every client's sessions."""
    current = Task.objects.filter(cause_ended_at__isnull=True)
    running_out = current.filter(
        rule=RuleKey.AUTHORIZATION_RUNNING_OUT, priority=Priority.HIGH
    ).values("subject_id")
    unpaid = current.filter(rule=RuleKey.DIRECT_CLIENT_UNPAID).values("subject_id")
    red = Q(pk__in=Authorization.objects.filter(pk__in=running_out).values("client_id")) | Q(
        pk__in=unpaid
    )
    return list(
        Client.objects.filter(red)
        .values(
            "primary_therapist", "primary_therapist__first_name", "primary_therapist__last_name"
        )
        .annotate(red_count=Count("pk"))
        .order_by("-red_count", "primary_therapist__last_name", "primary_therapist")[:limit]
    )


def staff_users() -> QuerySet[User]:
    """Who a task can be given to: active staff."""
    return User.objects.filter(is_staff=True, is_active=True).order_by("first_name", "username")


def run_report_of(*, task: Task) -> RunReport | None:
    """The month run's report a run-problems task is about (None for other tasks)."""
    if task.rule != RuleKey.RUN_PROBLEMS:
        return None
    return RunReport.objects.filter(pk=task.subject_id).first()
