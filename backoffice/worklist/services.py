"""Every write of the worklist: running a rule (a sweep, or after an event), and what staff
do with tasks (mark done, assign)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.bulk import history_rows_insert, whole_batches
from backoffice.notifications.models import NotificationKind
from backoffice.notifications.services import notify
from backoffice.worklist.models import RuleRun, RunReport, Task, TaskState
from backoffice.worklist.rules import RULES, Cause, Rule

# The names the jobs app registers the event task and the run-report task under
# (messaging.worker).
WORKLIST_EVENT = "worklist-event"
RUN_REPORTED = "worklist-run-reported"
REFRESHED_FIELDS = ["subject_label", "facts", "due_on", "priority"]


@dataclass
class RuleResult:
    opened: int = 0
    ended: int = 0
    refreshed: int = 0

    def __iadd__(self, other: RuleResult) -> RuleResult:
        self.opened += other.opened
        self.ended += other.ended
        self.refreshed += other.refreshed
        return self


def _refreshed(task: Task, cause: Cause) -> bool:
    """Bring a current task (open, or done while its cause lasts) up to date with its cause;
    a due date never moves later by itself (a cause whose due is "today" keeps the day it was
    first found). True if it changed."""
    values = {
        "subject_label": cause.subject_label,
        "facts": dict(cause.facts),
        "due_on": min(task.due_on, cause.due_on),
        "priority": cause.priority,
    }
    if all(getattr(task, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(task, name, value)
    return True


@transaction.atomic
def rule_run(
    rule: Rule, *, subject_ids: Collection[int] | None = None, today: date | None = None
) -> RuleResult:
    """Make the rule's current tasks match its causes now: a task for each new cause, the
    cause ended for tasks whose cause went (closed by the system if still open), current
    tasks refreshed. `subject_ids` limits the run to those subjects (after an event); without it
    the rule runs in full (the sweep). The rule's row is locked for the run, so two workers
    take turns and the second sees the first's tasks; the database keeps one current task
    per rule and subject. A constant number of queries, whatever the number of subjects."""
    today = today or timezone.localdate()
    now = timezone.now()
    run, _created = RuleRun.objects.select_for_update().get_or_create(rule=rule.key)
    causes = {
        cause.subject_id: cause for cause in rule.causes(today=today, subject_ids=subject_ids)
    }
    current = Rule.only(
        Task.objects.filter(rule=rule.key, cause_ended_at__isnull=True), subject_ids, "subject_id"
    ).only("pk", "subject_id", "state", *REFRESHED_FIELDS)
    current = {task.subject_id: task for task in current}
    new = [
        Task(
            rule=rule.key,
            subject_id=cause.subject_id,
            subject_label=cause.subject_label,
            facts=dict(cause.facts),
            due_on=cause.due_on,
            priority=cause.priority,
            opened_at=now,
        )
        for subject_id, cause in causes.items()
        if subject_id not in current
    ]
    ended = [task.pk for subject_id, task in current.items() if subject_id not in causes]
    refreshed = [
        task
        for subject_id, task in current.items()
        if subject_id in causes and _refreshed(task, causes[subject_id])
    ]
    reason = f"worklist: {rule.key}"
    with whole_batches():
        if new:
            created = Task.objects.bulk_create(new)
            history_rows_insert(
                model=Task, ids=[task.pk for task in created], history_type="+", reason=reason
            )
        if ended:
            Task.objects.filter(pk__in=ended).update(
                cause_ended_at=now,
                state=Case(
                    When(state=TaskState.OPEN, then=Value(TaskState.CLOSED)), default=F("state")
                ),
            )
            history_rows_insert(model=Task, ids=ended, history_type="~", reason=reason)
        if refreshed:
            Task.objects.bulk_update(refreshed, REFRESHED_FIELDS)
            history_rows_insert(
                model=Task, ids=[task.pk for task in refreshed], history_type="~", reason=reason
            )
    if subject_ids is None:
        run.swept_at = now
        run.save(update_fields=["swept_at"])
    return RuleResult(opened=len(new), ended=len(ended), refreshed=len(refreshed))


def worklist_sweep(*, today: date | None = None) -> RuleResult:
    """Every rule in full: idempotent (a second sweep changes nothing), safe alongside
    another sweep or an event's run (each rule's row is locked while it runs)."""
    result = RuleResult()
    for rule in RULES.values():
        result += rule_run(rule, today=today)
    return result


def rules_for_event(model_label: str) -> list[tuple[Rule, str]]:
    """The rules a save or delete of `model_label` may change, each with its subject path."""
    return [
        (rule, rule.events[model_label]) for rule in RULES.values() if model_label in rule.events
    ]


def worklist_event(*, model_label: str, pk: int, today: date | None = None) -> RuleResult:
    """After a row of `model_label` was saved or deleted (and committed): rerun the rules it
    may change, for the subjects it names."""
    result = RuleResult()
    model = apps.get_model(model_label)
    for rule, path in rules_for_event(model_label):
        if path == "pk":
            subject_ids = [pk]
        else:
            names = model.objects.filter(pk=pk).values_list(path, flat=True)
            subject_ids = [subject_id for subject_id in names if subject_id is not None]
        if subject_ids:
            result += rule_run(rule, subject_ids=subject_ids, today=today)
    return result


def run_report_record(*, kind: str, month: date, problems: list[str]) -> RunReport:
    """Keep what the last run of a month (`kind`: a RunKind) reported, replacing an earlier
    run's report: the run-problems rule reads it, the task's page lists the problems."""
    report, _created = RunReport.objects.update_or_create(
        kind=kind,
        month=month,
        defaults={
            "problems": [str(problem) for problem in problems],
            "reported_at": timezone.now(),
        },
    )
    return report


def _open_tasks(tasks) -> list[int]:
    ids = list(tasks.filter(state=TaskState.OPEN).values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("None of these tasks is open."))
    return ids


@transaction.atomic
def tasks_mark_done(*, tasks, by, note: str = "") -> int:
    """Staff did what the open tasks asked: done, by whom, when, with an optional note.
    Done tasks stay current while their cause lasts, so no new task opens for it."""
    ids = _open_tasks(tasks.select_for_update())
    Task.objects.filter(pk__in=ids).update(
        state=TaskState.DONE, done_at=timezone.now(), done_by=by, done_note=note.strip()
    )
    history_rows_insert(model=Task, ids=ids, history_type="~", by=by, reason="marked done")
    return len(ids)


@transaction.atomic
def tasks_assign(*, tasks, assignee, by) -> int:
    """Give the open tasks to `assignee` (None: to nobody); the assignee is notified of those
    that were not theirs yet, unless they assigned them to themselves."""
    ids = _open_tasks(tasks.select_for_update())
    if assignee is not None and assignee != by:
        _assignee_notify(
            ids=list(
                Task.objects.filter(pk__in=ids)
                .exclude(assignee=assignee)
                .values_list("pk", flat=True)
            ),
            assignee=assignee,
            by=by,
        )
    Task.objects.filter(pk__in=ids).update(assignee=assignee)
    history_rows_insert(model=Task, ids=ids, history_type="~", by=by, reason="assigned")
    return len(ids)


def _assignee_notify(*, ids: list[int], assignee, by) -> None:
    """One notification for the tasks given: the task itself, or the assignee's open tasks."""
    if not ids:
        return
    if len(ids) == 1:
        link = reverse("admin:worklist_task_change", args=[ids[0]])
    else:
        link = reverse("admin:worklist_task_changelist") + "?assignee=me"
    notify(
        user_id=assignee.pk,
        kind=NotificationKind.TASK_ASSIGNED,
        facts={"by": by.get_full_name() or by.username, "count": len(ids)},
        link=link,
    )
