"""Money, days and months as a person reads them: the one format of every page, PDF, email,
workbook and portal table, in the active language."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import gettext as _

CENT = Decimal("0.01")


def money(amount: Decimal | int | None) -> str:
    """Canadian dollars in the active language, to the cent, with thousands separators:
    $65,832.12 in English, 65 832,12 $ in French; a credit with its minus sign first."""
    amount = Decimal(amount or 0).quantize(CENT, rounding=ROUND_HALF_UP)
    number = formats.number_format(abs(amount), 2, use_l10n=True, force_grouping=True)
    shown = _("$%(amount)s") % {"amount": number}
    return f"-{shown}" if amount < 0 else shown


def day(value: date | None) -> str:
    """A day in the active language's date format; nothing for no day."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def month(value: date) -> str:
    """A month in the active language ("October 2026", "octobre 2026")."""
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def person_name(first: str | None, last: str | None) -> str:
    """First and last name from a row of values (a left join may bring neither)."""
    return " ".join(name for name in (first, last) if name)
