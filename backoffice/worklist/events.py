"""Rules run when their data changes: a save or delete of a model some rule reads (its
`events`) hands the worker a job once the transaction commits. The receiver only names the
row; `services.worklist_event` does the work in the worker."""

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from backoffice.messaging.worker import enqueue_after_commit
from backoffice.worklist.rules import RULES
from backoffice.worklist.services import WORKLIST_EVENT


def _row_changed(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures being loaded
        return
    enqueue_after_commit(WORKLIST_EVENT, sender._meta.label_lower, instance.pk)


def connect() -> None:
    for label in sorted({label for rule in RULES.values() for label in rule.events}):
        model = apps.get_model(label)
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"worklist-save-{label}")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"worklist-delete-{label}")
