"""Huey tasks and periodic schedules: thin wrappers that load ids and call services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from backoffice.billing.sending import documents_send_status_follow
from backoffice.messaging import services as messaging


@db_task()
def outbox_send_task(message_id: int) -> None:
    result = messaging.outbox_send(message_id=message_id)
    if result.status:
        documents_send_status_follow(message_id=message_id)
    if result.retry_at:
        outbox_send_task.schedule((message_id,), eta=result.retry_at)


@db_periodic_task(crontab(minute="*"))
@lock_task("outbox-sweep")
def outbox_sweep_task() -> None:
    """Recovers messages whose task was lost (crash, restart) and sends them."""
    for message_id in messaging.outbox_due_ids():
        outbox_send_task(message_id)
