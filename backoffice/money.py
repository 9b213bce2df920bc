"""Money as a person reads it: the one format of every page, PDF, email and portal table."""

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
