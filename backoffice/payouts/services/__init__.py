"""Payouts writes: the month run (month_run.py), recording payouts (payout.py), the statement
PDF (pdf.py), emailing statements (sending.py) and the exports (exports.py)."""

from backoffice.payouts.services.month_run import (
    StatementRun,
    statement_amounts,
    statement_regenerate,
    statements_generate,
)
from backoffice.payouts.services.payout import (
    PayoutsRecorded,
    statement_payout_record,
    statements_payout_record,
)

__all__ = [
    "PayoutsRecorded",
    "StatementRun",
    "statement_amounts",
    "statement_payout_record",
    "statement_regenerate",
    "statements_generate",
    "statements_payout_record",
]
