"""Recording payouts: a payout run (a cheque run, an EFT file) marks sent statements paid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from backoffice.bulk import whole_batches
from backoffice.payouts.models import Statement, StatementStatus


@dataclass
class PayoutsRecorded:
    recorded: int = 0
    refused: list[str] = field(default_factory=list)


def _payout_reference(*, paid_on: date, reference: str) -> str:
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payout date cannot be in the future.")})
    if not reference.strip():
        raise ValidationError({"reference": _("Enter the cheque number or transfer reference.")})
    return reference.strip()


@transaction.atomic
def statements_payout_record(
    *, statements, paid_on: date, reference: str, by=None
) -> PayoutsRecorded:
    """Record one payout run (a cheque run, an EFT file): each sent statement becomes paid with
    the date and reference; the others are reported and left as they are. Constant queries."""
    reference = _payout_reference(paid_on=paid_on, reference=reference)
    locked = (
        Statement.objects.select_for_update(of=("self",))
        .filter(pk__in=[statement.pk for statement in statements])
        .select_related("therapist")
        .order_by("pk")
    )
    result, paid = PayoutsRecorded(), []
    for statement in locked:
        if statement.status != StatementStatus.SENT:
            result.refused.append(
                _("%(statement)s: only a sent statement can be marked paid.")
                % {"statement": statement}
            )
            continue
        statement.status = StatementStatus.PAID
        statement.paid_on = paid_on
        statement.payout_reference = reference
        paid.append(statement)
    with whole_batches():
        bulk_update_with_history(
            paid,
            Statement,
            ["status", "paid_on", "payout_reference"],
            default_user=by,
            default_change_reason=_("Payout %(reference)s") % {"reference": reference},
        )
    result.recorded = len(paid)
    return result


def statement_payout_record(
    *, statement: Statement, paid_on: date, reference: str, by=None
) -> Statement:
    """Record the payout of one sent statement (date and reference): it becomes paid."""
    result = statements_payout_record(
        statements=[statement], paid_on=paid_on, reference=reference, by=by
    )
    if result.refused:
        raise ValidationError(_("Only a sent statement can be marked paid."))
    statement.refresh_from_db()
    return statement
