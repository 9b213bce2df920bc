"""Therapist statements: the month run and regeneration.

- A statement is one therapist's month. Its **paid** lines are the sessions delivered and paid
  (by the payer or the client: `Appointment.paid_at`) by the last day of the month that no
  other statement pays out; its **held** lines are the delivered sessions not paid by then.
  A held session comes back on every later statement until it is paid, and is then paid out
  once: the database allows one paid line per session (`session_paid_out_once`).
- Sessions delivered before the first month ever run (go-live) were settled before Caseload
  and are never considered; a month before it cannot be run.
- Amounts use the therapist's rate in force on the session's date. A completed session pays
  the session price less the service fee (flat, or a percent of the price). A late
  cancellation or no-show pays only once its fee is collected, never held (nothing was
  delivered): the therapist keeps the same share of that fee as of their session price.
- A run creates a draft per therapist with lines, regenerates the month's drafts, and leaves
  sent and paid statements as they are. Its query count does not depend on how many
  therapists or sessions it covers (docs/quality.md, the statement run).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.bulk import (
    delete_with_history,
    insert_with_history,
    run_retrying,
    whole_batches,
)
from backoffice.caseload.models import ServiceType, Therapist, TherapistRate
from backoffice.payouts.models import (
    Statement,
    StatementLine,
    StatementLineKind,
    StatementStatus,
)
from backoffice.payouts.selectors import (
    RatesInForce,
    statement_candidates,
    statements_first_month,
)
from backoffice.payouts.signals import statement_run_finished
from backoffice.scheduling.models import AppointmentStatus
from backoffice.zone_data import month_bounds

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
LINE_COLUMNS = [
    "statement_id",
    "kind",
    "appointment_id",
    "client_id",
    "service_type_id",
    "rate_id",
    "service_date",
    "appointment_status",
    "paid_on",
    "price_amount",
    "service_fee_amount",
    "net_amount",
]
TOTALS = [
    "gross_amount",
    "service_fee_amount",
    "net_amount",
    "paid_count",
    "held_count",
    "held_amount",
    "generated_at",
]


@dataclass
class StatementRun:
    """What a month run did, for the admin message and the periodic job's log."""

    month: date
    created: int = 0
    regenerated: int = 0
    removed: int = 0
    kept: int = 0
    paid_lines: int = 0
    held_lines: int = 0
    problems: list[str] = field(default_factory=list)


def statement_amounts(
    rate: TherapistRate, *, status: str, missed_fee: Decimal | None
) -> tuple[Decimal, Decimal, Decimal]:
    """Price, service fee and net of one session at a rate."""
    if status == AppointmentStatus.COMPLETED:
        price = rate.session_price_amount
        fee = min(rate.service_fee_amount(), price)
    else:
        price = missed_fee or ZERO
        price_of_session = rate.session_price_amount
        net = (
            (price * rate.net_amount() / price_of_session).quantize(CENT, ROUND_HALF_UP)
            if price_of_session
            else ZERO
        )
        fee = price - max(net, ZERO)
    return price, fee, price - fee


@dataclass
class _Plan:
    lines: list[tuple] = field(default_factory=list)  # LINE_COLUMNS without statement_id
    totals: dict = field(default_factory=dict)


def _plan(rows, *, rates: RatesInForce) -> tuple[dict[int, _Plan], dict[int, str]]:
    """Lines and totals per therapist; a therapist missing a rate gets a problem instead."""
    plans: dict[int, _Plan] = defaultdict(_Plan)
    missing: dict[int, tuple[int, date]] = {}
    zone = timezone.get_current_timezone()  # once: each lookup costs more than the conversion
    for row in rows:
        pk, therapist_id, client_id, service_type_id, starts_at, status, missed, paid_at = row[:8]
        is_paid = bool(row[8])  # scheduling.selectors.session_paid, by the month's last day
        service_date = timezone.localdate(starts_at, zone)
        paid_on = timezone.localdate(paid_at, zone) if is_paid else None
        if status != AppointmentStatus.COMPLETED and not is_paid:
            continue
        rate = rates.rate(
            therapist_id=therapist_id, service_type_id=service_type_id, on=service_date
        )
        if rate is None:
            missing.setdefault(therapist_id, (service_type_id, service_date))
            continue
        price, fee, net = statement_amounts(rate, status=status, missed_fee=missed)
        kind = StatementLineKind.PAID if is_paid else StatementLineKind.HELD
        plans[therapist_id].lines.append(
            (
                kind,
                pk,
                client_id,
                service_type_id,
                rate.pk,
                service_date,
                status,
                paid_on if is_paid else None,
                price,
                fee,
                net,
            )
        )
    for plan in plans.values():
        paid = [line for line in plan.lines if line[0] == StatementLineKind.PAID]
        held = [line for line in plan.lines if line[0] == StatementLineKind.HELD]
        gross = sum((line[8] for line in paid), ZERO)
        fees = sum((line[9] for line in paid), ZERO)
        plan.totals = {
            "gross_amount": gross,
            "service_fee_amount": fees,
            "net_amount": gross - fees,
            "paid_count": len(paid),
            "held_count": len(held),
            "held_amount": sum((line[8] for line in held), ZERO),
        }
    return plans, _problems(missing)


def _problems(missing: dict[int, tuple[int, date]]) -> dict[int, str]:
    if not missing:
        return {}
    therapists = Therapist.objects.in_bulk(list(missing))
    services = ServiceType.objects.in_bulk([service_id for service_id, _day in missing.values()])
    return {
        therapist_id: _(
            "%(therapist)s: no rate in force for %(service)s on %(day)s; "
            "enter one under Therapist rates and run the month again."
        )
        % {
            "therapist": therapists[therapist_id],
            "service": services[service_id],
            "day": f"{day:%Y-%m-%d}",
        }
        for therapist_id, (service_id, day) in missing.items()
    }


def _run_once(*, first: date, last: date, since: date, therapist, by) -> StatementRun:
    run = StatementRun(month=first)
    month = Statement.objects.select_for_update().filter(period_start=first)
    if therapist is not None:
        month = month.filter(therapist=therapist)
    existing = {statement.therapist_id: statement for statement in month}
    drafts = {
        therapist_id: statement
        for therapist_id, statement in existing.items()
        if statement.status == StatementStatus.DRAFT
    }
    kept = [t for t, statement in existing.items() if statement.status != StatementStatus.DRAFT]
    run.kept = len(kept)
    rows = statement_candidates(
        since=since,
        last=last,
        therapist=therapist,
        redone_ids=[statement.pk for statement in drafts.values()],
        kept_therapist_ids=kept,
    )
    therapist_ids = {row[1] for row in rows}
    plans, problems = _plan(rows, rates=RatesInForce(therapist_ids))
    run.problems = list(problems.values())

    redone = {t: statement for t, statement in drafts.items() if t not in problems}
    now = timezone.now()
    reason = _("Statement run %(month)s") % {"month": f"{first:%Y-%m}"}
    with whole_batches():
        delete_with_history(
            StatementLine.objects.filter(statement_id__in=[s.pk for s in redone.values()]),
            by=by,
            reason=reason,
        )
    new, updated = [], []
    for therapist_id, plan in plans.items():
        if therapist_id in problems:
            continue
        statement = redone.get(therapist_id)
        if statement is None:
            statement = Statement(therapist_id=therapist_id, period_start=first, period_end=last)
            new.append(statement)
        else:
            updated.append(statement)
        for name, value in plan.totals.items():
            setattr(statement, name, value)
        statement.generated_at = now
    emptied = [s.pk for t, s in redone.items() if t not in plans]
    for statement in Statement.objects.filter(pk__in=emptied):
        statement._history_user, statement._change_reason = by, reason
        statement.delete()

    with whole_batches():
        bulk_create_with_history(new, Statement, default_user=by, default_change_reason=reason)
        bulk_update_with_history(
            updated, Statement, TOTALS, default_user=by, default_change_reason=reason
        )
    by_therapist = {statement.therapist_id: statement.pk for statement in [*new, *updated]}
    lines = [
        (by_therapist[therapist_id], *line)
        for therapist_id, plan in plans.items()
        if therapist_id in by_therapist
        for line in plan.lines
    ]
    insert_with_history(model=StatementLine, columns=LINE_COLUMNS, rows=lines, by=by, reason=reason)
    run.created, run.regenerated, run.removed = len(new), len(updated), len(emptied)
    run.paid_lines = sum(1 for line in lines if line[1] == StatementLineKind.PAID)
    run.held_lines = len(lines) - run.paid_lines
    return run


def statements_generate(
    *, month: date, therapist: Therapist | None = None, by=None
) -> StatementRun:
    """Create or regenerate the month's draft statements (one therapist's when given).

    Re-running a month never duplicates: sent and paid statements stay as they are, drafts are
    rebuilt from today's data. A run that collides with a concurrent one starts over. A run
    over the whole month sends `payouts.signals.statement_run_finished` with its problems.
    """
    first, last = month_bounds(month)
    go_live = statements_first_month()
    if go_live is not None and first < go_live:
        message = _("Statements start in %(first)s; %(month)s was settled before Caseload.")
        raise ValidationError(
            {"month": message % {"first": f"{go_live:%Y-%m}", "month": f"{first:%Y-%m}"}}
        )
    run = run_retrying(
        lambda: _run_once(
            first=first, last=last, since=go_live or first, therapist=therapist, by=by
        )
    )
    if therapist is None:  # one therapist's run says nothing of the whole month's problems
        statement_run_finished.send(sender=Statement, month=first, problems=list(run.problems))
    return run


def statement_regenerate(*, statement: Statement, by=None) -> StatementRun:
    """Rebuild one draft statement from today's payments and rates."""
    if statement.status != StatementStatus.DRAFT:
        raise ValidationError(_("Only a draft statement can be regenerated."))
    return statements_generate(month=statement.period_start, therapist=statement.therapist, by=by)
