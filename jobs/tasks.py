"""Huey tasks and periodic schedules: thin wrappers that load ids and call services.

The tasks services hand work to after a commit are registered under their names in
`messaging.worker` (at the end of this module), so services never import `jobs`.
"""

import logging
from datetime import date

from django.conf import settings
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task, signal
from huey.signals import SIGNAL_ERROR

from backoffice.access.services import access_records_purge
from backoffice.accounts.models import User
from backoffice.alerts.services import (
    ALERTS_LAST_SESSION,
    alerts_digest_send,
    alerts_last_session_send,
)
from backoffice.billing.models import Invoice, Receipt
from backoffice.billing.services import INVOICES_SEND, invoices_send
from backoffice.billing.services.imports import staged_imports_sweep
from backoffice.messaging import services as messaging
from backoffice.messaging.models import InboundSms, OutboxMessage
from backoffice.messaging.services.documents import send_status_follow
from backoffice.messaging.services.receipts import CONTACT_UNDELIVERABLE, SMS_RECEIVED
from backoffice.messaging.worker import job_register
from backoffice.notifications.services import notifications_digest_send
from backoffice.operations.services import (
    failed_job_record,
    failed_jobs_purge,
    worker_heartbeat_record,
)
from backoffice.payouts.models import Statement
from backoffice.payouts.services.sending import (
    STATEMENTS_SEND,
    statements_month_end,
    statements_send,
)
from backoffice.reminders.contacts import client_contact_undeliverable_mark
from backoffice.reminders.replies import sms_reply_handle
from backoffice.reminders.services import REMINDERS_PLAN, reminders_plan, reminders_send_due
from backoffice.worklist.models import RuleKey
from backoffice.worklist.rules import RULES
from backoffice.worklist.services import (
    RUN_REPORTED,
    WORKLIST_EVENT,
    rule_run,
    run_report_record,
    worklist_event,
    worklist_sweep,
)
from jobs.schedule import clinic_crontab

logger = logging.getLogger(__name__)

# Documents whose `send_status` follows the outbox message that carries them.
SENT_DOCUMENTS = (Invoice, Receipt, Statement)


def _user(user_id: int | None) -> User | None:
    """The staff member a task acts for (history rows name them)."""
    return User.objects.filter(pk=user_id).first() if user_id else None


@db_task()
def outbox_send_task(message_id: int) -> None:
    result = messaging.outbox_send(message_id=message_id)
    if result.status:
        send_status_follow(message_id=message_id, models=SENT_DOCUMENTS)
    if result.retry_at:
        outbox_send_task.schedule((message_id,), eta=result.retry_at)


@db_task()
def invoices_send_task(invoice_ids: list[int], by_id: int | None) -> None:
    """Invoices staff chose to send: PDFs rendered and emails queued here, not in the page."""
    invoices = Invoice.objects.filter(pk__in=invoice_ids).select_related("payer", "client")
    result = invoices_send(invoices=invoices, by=_user(by_id))
    for problem in result.refused:
        logger.warning("invoice not sent: %s", problem)


@db_task()
def statements_send_task(statement_ids: list[int], by_id: int | None) -> None:
    """Statements staff chose to send: PDFs rendered and emails queued here, not in the page."""
    statements = Statement.objects.filter(pk__in=statement_ids).select_related("therapist")
    result = statements_send(statements=statements, by=_user(by_id))
    for problem in result.refused:
        logger.warning("statement not sent: %s", problem)


@db_periodic_task(clinic_crontab("outbox-sweep", minute="*"))
@lock_task("outbox-sweep")
def outbox_sweep_task() -> None:
    """Recovers messages whose task was lost (crash, restart) and sends them."""
    for message_id in messaging.outbox_due_ids():
        outbox_send_task(message_id)


@db_periodic_task(
    clinic_crontab("statements-month-end", day=str(settings.STATEMENT_DAY), hour="7", minute="0")
)
@lock_task("statements-month-end")
def statements_month_end_task() -> None:
    """On the statement day: last month's statements generated and emailed (idempotent)."""
    result = statements_month_end()
    logger.info(
        "statements %s: %d sent, %d problem(s)",
        f"{result.run.month:%Y-%m}",
        result.sent,
        len(result.run.problems) + len(result.refused),
    )


@db_periodic_task(clinic_crontab("staged-imports-sweep", minute="20"))
@lock_task("staged-imports-sweep")
def staged_imports_sweep_task() -> None:
    """Every hour: payment files previewed a day ago and never confirmed or cancelled go."""
    logger.info("staged imports: %d deleted", staged_imports_sweep())


@db_periodic_task(clinic_crontab("access-log-retention", hour="3", minute="40"))
@lock_task("access-log-retention")
def access_log_retention_task() -> None:
    """Every night: access records past ACCESS_LOG_RETENTION_DAYS go (set-wise)."""
    logger.info("access log: %d records past retention removed", access_records_purge())


@db_task()
def worklist_event_task(model_label: str, pk: int) -> None:
    """A row some rule reads was saved or deleted: those rules run for its subjects."""
    worklist_event(model_label=model_label, pk=pk)


@db_task()
def worklist_run_reported_task(kind: str, month: date, problems: list[str]) -> None:
    """A month run finished over a whole month: its report kept, its task opened or ended."""
    report = run_report_record(kind=kind, month=month, problems=problems)
    rule_run(RULES[RuleKey.RUN_PROBLEMS], subject_ids=[report.pk])


@db_periodic_task(clinic_crontab("worklist-sweep", minute="*/15"))
@lock_task("worklist-sweep")
def worklist_sweep_task() -> None:
    """Every quarter hour: every rule in full (what events missed: time passing, set-wise
    writes)."""
    result = worklist_sweep()
    logger.info("worklist: %d opened, %d ended", result.opened, result.ended)


@db_task()
def alerts_last_session_task(authorization_id: int) -> None:
    """A session under this authorization got its outcome, or it changed: its therapist is
    emailed if it reached its last approved session (once per cause)."""
    alerts_last_session_send(authorization_ids=[authorization_id])


@db_periodic_task(clinic_crontab("alerts-last-session", minute="50"))
@lock_task("alerts-last-session")
def alerts_last_session_sweep_task() -> None:
    """Every hour: last-session emails the events missed (set-wise writes, a lost task)."""
    logger.info("alerts: %d last-session email(s) queued", alerts_last_session_send())


@db_task()
def reminders_plan_task(appointment_id: int) -> None:
    """An appointment was booked, moved, cancelled or changed clients: its reminders again."""
    reminders_plan(appointment_ids=[appointment_id])


@db_periodic_task(clinic_crontab("reminders-plan", minute="*/15"))
@lock_task("reminders-plan")
def reminders_plan_sweep_task() -> None:
    """Every quarter hour: the reminders of the coming days' sessions (idempotent)."""
    result = reminders_plan()
    logger.info("reminders: %d planned, %d changed", result.created, result.changed)


@db_periodic_task(clinic_crontab("reminders-send", minute="*"))
@lock_task("reminders-send")
def reminders_send_task() -> None:
    """Every minute: due reminders handed to the outbox (each once)."""
    logger.info("reminders: %d queued", reminders_send_due())


@db_periodic_task(clinic_crontab("alerts-digest", day_of_week="1", hour="7", minute="0"))
@lock_task("alerts-digest")
def alerts_digest_task() -> None:
    """Mondays at 07:00: each therapist with alerts gets the week's digest (once a week)."""
    logger.info("alerts: %d digest(s) queued", alerts_digest_send())


@db_periodic_task(clinic_crontab("notifications-digest", hour="7", minute="30"))
@lock_task("notifications-digest")
def notifications_digest_task() -> None:
    """Every morning at 07:30: each user's notifications waiting for the digest, one email."""
    logger.info("notifications: %d digest(s) queued", notifications_digest_send())


@db_task()
def sms_received_task(inbound_id: int) -> None:
    """An SMS came to the clinic's number: a reply to a reminder is acted on, else staff's."""
    sms_reply_handle(inbound=InboundSms.objects.get(pk=inbound_id))


@db_task()
def contact_undeliverable_task(message_id: int) -> None:
    """A message could never reach its recipient: the clients at that address are marked."""
    marked = client_contact_undeliverable_mark(message=OutboxMessage.objects.get(pk=message_id))
    logger.info("outbox message %s: %d client contact(s) undeliverable", message_id, len(marked))


job_register(messaging.OUTBOX_SEND, outbox_send_task)
job_register(SMS_RECEIVED, sms_received_task)
job_register(CONTACT_UNDELIVERABLE, contact_undeliverable_task)
job_register(INVOICES_SEND, invoices_send_task)
job_register(STATEMENTS_SEND, statements_send_task)
job_register(WORKLIST_EVENT, worklist_event_task)
job_register(RUN_REPORTED, worklist_run_reported_task)
job_register(ALERTS_LAST_SESSION, alerts_last_session_task)
job_register(REMINDERS_PLAN, reminders_plan_task)


@db_periodic_task(clinic_crontab("worker-heartbeat", minute="*"))
def worker_heartbeat_task() -> None:
    """Every minute: the beat /healthz reads (a stale one says no consumer runs the schedule)."""
    worker_heartbeat_record()


@db_periodic_task(clinic_crontab("failed-jobs-retention", hour="3", minute="50"))
@lock_task("failed-jobs-retention")
def failed_jobs_retention_task() -> None:
    """Every night: failed jobs past their 90 days go."""
    logger.info("failed jobs: %d past retention removed", failed_jobs_purge())


@signal(SIGNAL_ERROR)
def failed_job_signalled(signal_name: str, task, error: Exception) -> None:
    """A task raised: kept for `manage.py pending` (its name and the exception's type only)."""
    failed_job_record(task_name=f"{task.__module__}.{task.name}", task_id=task.id, error=error)
