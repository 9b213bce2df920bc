"""What a rule is: the causes it finds now, each a subject that needs someone."""

from collections.abc import Collection, Iterator
from datetime import date
from typing import ClassVar, NamedTuple

from django.db.models import QuerySet

from backoffice.accounts.models import Role
from backoffice.worklist.models import Priority, RuleKey, SubjectType


class Cause(NamedTuple):
    """One subject a rule finds needs a task now, and what the task should say."""

    subject_id: int
    subject_label: str
    due_on: date
    priority: int = Priority.NORMAL
    facts: dict = {}


class Rule:
    """A rule of the worklist. Subclasses set the class attributes and write `rows` and
    `cause`.

    `rows(today=…, subject_ids=None)` is one `values()` queryset of the subjects that need a
    task today (given `subject_ids`, only among those: a run after an event); `cause(row,
    today=…)` says what the task is (due, priority, facts), or None. One query per run,
    whatever the number of subjects; `make bench` times it against the same SQL run raw.
    `events` maps a model's label to the path from that model to the subject's id: a save
    of that model reruns the rule for those subjects (worklist.events). `team` is the role
    whose home page lists the rule's tasks first.
    """

    key: ClassVar[RuleKey]
    subject: ClassVar[SubjectType]
    team: ClassVar[str] = Role.ADMIN
    events: ClassVar[dict[str, str]] = {}

    def rows(self, *, today: date, subject_ids: Collection[int] | None) -> QuerySet:
        raise NotImplementedError

    def cause(self, row: dict, *, today: date) -> Cause | None:
        raise NotImplementedError

    def causes(self, *, today: date, subject_ids: Collection[int] | None) -> Iterator[Cause]:
        for row in self.rows(today=today, subject_ids=subject_ids):
            cause = self.cause(row, today=today)
            if cause is not None:
                yield cause

    def describe(self, facts: dict) -> str:
        """What the task asks, in the active language, from its facts."""
        return str(self.key.label)

    @staticmethod
    def only(queryset: QuerySet, subject_ids: Collection[int] | None, field: str = "pk"):
        """The queryset limited to the subjects an event named, or whole for a sweep."""
        if subject_ids is None:
            return queryset
        return queryset.filter(**{f"{field}__in": list(subject_ids)})
