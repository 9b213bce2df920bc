"""Tasks the worklist's rules open for staff, and what the rules keep between runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RuleKey(models.TextChoices):
    """Every rule that writes tasks (worklist.rules); a rule's key never changes."""

    AUTHORIZATION_RUNNING_OUT = "authorization-low", _("Authorization running out")
    RENEWAL_UNANSWERED = "renewal-unanswered", _("Renewal not answered")
    RENEWAL_DOCUMENTS = "renewal-documents", _("Therapist's renewal documents to send")
    CLIENT_STATUS_REQUEST = "client-request", _("Therapist's request about a client")
    BAD_FIT_CALL = "bad-fit-call", _("Call a client on the Bad Fit list")
    INVOICE_OVERDUE = "invoice-overdue", _("Invoice unpaid past its terms")
    SUBMISSION_DEADLINE = "submission-deadline", _("Sessions near the payer's deadline")
    SESSIONS_SET_ASIDE = "set-aside", _("Sessions set aside at invoicing")
    DIRECT_CLIENT_UNPAID = "client-unpaid", _("Client with unpaid sessions")
    MESSAGE_FAILED = "message-failed", _("Email or SMS failed")
    RUN_PROBLEMS = "run-problems", _("Month run reported problems")
    MONTH_NOT_INVOICED = "month-not-invoiced", _("Last month's sessions not invoiced")
    STATEMENTS_NOT_SENT = "statements-not-sent", _("Statements not sent")
    SMS_FOR_STAFF = "sms-for-staff", _("SMS from a client to answer")
    EMAIL_UNDELIVERABLE = "email-undeliverable", _("Client's email bounced")
    PHONE_UNDELIVERABLE = "phone-undeliverable", _("Client's mobile number undeliverable")


class SubjectType(models.TextChoices):
    """What a task is about; each rule has one."""

    CLIENT = "client", _("Client")
    AUTHORIZATION = "authorization", _("Authorization")
    BAD_FIT_ENTRY = "bad-fit-entry", _("Bad Fit entry")
    INVOICE = "invoice", _("Invoice")
    PAYER = "payer", _("Payer")
    MESSAGE = "message", _("Message")
    THERAPIST = "therapist", _("Therapist")
    RUN = "run", _("Month run")
    MONTH = "month", _("Month")
    SMS_RECEIVED = "sms-received", _("SMS received")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CLOSED = "closed", _("Closed by the system")


class Priority(models.IntegerChoices):
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class Task(models.Model):
    """What a rule found needs a person: open until staff mark it done or its cause goes.

    A task is *current* while its cause holds (`cause_ended_at` empty), whether open or
    already done; one current task per rule and subject, so rerunning a rule never
    duplicates and a task marked done stays done while its cause lasts. When the cause goes,
    an open task is closed by the system; if the cause comes back, a new task opens.
    """

    rule = models.CharField(_("rule"), max_length=30, choices=RuleKey.choices)
    subject_id = models.BigIntegerField(_("subject"))
    subject_label = models.CharField(_("about"), max_length=200)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    due_on = models.DateField(_("due"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    state = models.CharField(
        _("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assigned to"),
    )
    opened_at = models.DateTimeField(_("opened"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_note = models.TextField(_("note"), blank=True)
    cause_ended_at = models.DateTimeField(_("cause ended"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "priority", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_id"],
                condition=Q(cause_ended_at__isnull=True),
                name="worklist_one_current_task_per_rule_subject",
            ),
            models.CheckConstraint(
                condition=~Q(state=TaskState.CLOSED) | Q(cause_ended_at__isnull=False),
                name="worklist_closed_task_has_no_cause",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_on"], name="worklist_task_state_due"),
            models.Index(fields=["assignee", "state", "due_on"], name="worklist_task_assignee"),
        ]

    def __str__(self):
        return f"{self.get_rule_display()}: {self.subject_label}"

    @property
    def is_overdue(self) -> bool:
        return self.state == TaskState.OPEN and self.due_on < timezone.localdate()


class RuleRun(models.Model):
    """One row per rule: locked while the rule runs (two workers never write its tasks at
    once) and when it last ran in full."""

    rule = models.CharField(_("rule"), max_length=30, choices=RuleKey.choices, unique=True)
    swept_at = models.DateTimeField(_("last full run"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")

    def __str__(self):
        return self.get_rule_display()


class RunKind(models.TextChoices):
    INVOICES = "invoices", _("Invoice run")
    STATEMENTS = "statements", _("Statement run")


class RunReport(models.Model):
    """What the last invoice or statement run of a month reported; the run-problems rule
    opens a task while its problems stand."""

    kind = models.CharField(_("run"), max_length=12, choices=RunKind.choices)
    month = models.DateField(_("month"))
    problems = models.JSONField(_("problems"), default=list, blank=True)
    reported_at = models.DateTimeField(_("reported"))

    class Meta:
        verbose_name = _("run report")
        verbose_name_plural = _("run reports")
        constraints = [
            models.UniqueConstraint(fields=["kind", "month"], name="worklist_one_report_per_run")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.month:%Y-%m}"
