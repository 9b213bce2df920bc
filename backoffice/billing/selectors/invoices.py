"""Finding invoices: by a number or a fragment of one, by payer or client name."""

import re

from django.db.models import Q, QuerySet

from backoffice.billing.models import (
    NUMBER_DIGITS,
    DocumentCounter,
    DocumentSeries,
    Invoice,
    InvoiceLine,
    document_number_format,
)
from backoffice.caseload.models import Payer
from backoffice.scheduling.selectors import COMMON_NAME_CLIENTS, clients_matching

# "2707", "02707", "2026-027", "INV-2026-027", "INV-2026-02707" (any case, dashes optional
# between the parts that are given).
NUMBER_FRAGMENT = re.compile(
    rf"^(?:(?P<series>[A-Z]+)-?)?(?:(?P<year>\d{{4}})-)?(?P<digits>\d{{1,{NUMBER_DIGITS}}})$"
)
# A fragment that fits more numbers than this (e.g. "INV-2026-0") is too vague to list them.
MOST_NUMBERS = 200


def invoice_numbers_like(term: str) -> list[str]:
    """The invoice and credit note numbers given so far that a typed fragment names, newest
    first: digits alone end the number ("2707": INV-2026-02707, CN-2025-12707…); after a
    year they begin its counter ("INV-2026-027": INV-2026-02700 to -02799). Read from the
    document counters (a row per series and year), so no invoice is scanned."""
    match = NUMBER_FRAGMENT.match(term.strip().upper())
    if match is None:
        return []
    series, year, digits = match["series"], match["year"], match["digits"]
    counters = DocumentCounter.objects.filter(
        series__in=[DocumentSeries.INVOICE, DocumentSeries.CREDIT_NOTE]
    ).order_by("-year", "series")
    if series:
        counters = counters.filter(series=series)
    if year:
        counters = counters.filter(year=int(year))
    numbers: list[str] = []
    for counter in counters:
        if year:  # the counter's first digits
            scale = 10 ** (NUMBER_DIGITS - len(digits))
            first, step = int(digits) * scale, 1
            last = min(first + scale - 1, counter.last_number)
        else:  # its last digits
            first, step, last = int(digits), 10 ** len(digits), counter.last_number
        for number in range(first, last + 1, step):
            if number:
                numbers.append(
                    document_number_format(series=counter.series, year=counter.year, number=number)
                )
            if len(numbers) > MOST_NUMBERS:
                return []
    return numbers


def invoices_matching(*, invoices: QuerySet[Invoice], term: str) -> QuerySet[Invoice]:
    """Invoices whose number `term` names (whole or a fragment, `invoice_numbers_like`), or
    billed to (or with a line of) a matching payer or client. Names are matched in the small
    payers and clients tables first; invoices are then reached through their number, payer,
    client and line-client indexes, never by scanning them."""
    term = term.strip()
    payer_ids = list(Payer.objects.filter(name__icontains=term).values_list("pk", flat=True))
    client_ids = list(
        clients_matching(term=term).values_list("pk", flat=True)[:COMMON_NAME_CLIENTS]
    )
    with_client_lines = InvoiceLine.objects.filter(client_id__in=client_ids).values("invoice_id")
    return invoices.filter(
        Q(number=term.upper())  # numbers are upper case: the number index, not a scan
        | Q(number__in=invoice_numbers_like(term))
        | Q(payer_id__in=payer_ids)
        | Q(client_id__in=client_ids)
        | Q(pk__in=with_client_lines)
    )
