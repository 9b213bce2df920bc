"""Rules run when their data changes: a save or delete of a model some rule reads (its
`events`) hands the worker a job once the transaction commits. The receiver only names the
row; `services.worklist_event` does the work in the worker.

The month runs (billing's invoices, payouts' statements) say when they finish over a whole
month, with their problems: the worker keeps the report (`services.run_report_record`) and
runs the run-problems rule for it."""

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from backoffice.billing.signals import invoice_run_finished
from backoffice.messaging.worker import enqueue_after_commit
from backoffice.payouts.signals import statement_run_finished
from backoffice.worklist.models import RunKind
from backoffice.worklist.rules import RULES
from backoffice.worklist.services import RUN_REPORTED, WORKLIST_EVENT


def _row_changed(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures being loaded
        return
    enqueue_after_commit(WORKLIST_EVENT, sender._meta.label_lower, instance.pk)


def _invoice_run_finished(sender, *, month, problems, **kwargs):
    enqueue_after_commit(RUN_REPORTED, RunKind.INVOICES.value, month, list(problems))


def _statement_run_finished(sender, *, month, problems, **kwargs):
    enqueue_after_commit(RUN_REPORTED, RunKind.STATEMENTS.value, month, list(problems))


def connect() -> None:
    invoice_run_finished.connect(_invoice_run_finished, dispatch_uid="worklist-invoice-run")
    statement_run_finished.connect(_statement_run_finished, dispatch_uid="worklist-statement-run")
    for label in sorted({label for rule in RULES.values() for label in rule.events}):
        model = apps.get_model(label)
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"worklist-save-{label}")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"worklist-delete-{label}")
