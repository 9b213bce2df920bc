"""Document numbers: one locked counter row per series and year, so numbers never skip.

The number is taken inside the caller's transaction: if issuing fails afterwards, the
counter rolls back with it, so a number is never lost (docs/quality.md, numbering).
"""

from django.db import IntegrityError, transaction

from backoffice.billing.models import DocumentCounter, DocumentSeries, document_number_format


@transaction.atomic
def document_number_next(*, series: DocumentSeries, year: int) -> str:
    """The next number of a series in a year, e.g. INV-2026-00042.

    The counter row is locked (SELECT … FOR UPDATE) until the caller's transaction ends, so
    concurrent issuers queue on it. The first number of a year creates the row; when two
    transactions race to create it, the loser's insert fails on the unique constraint and it
    then locks the winner's row.
    """
    counter = DocumentCounter.objects.select_for_update().filter(series=series, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                DocumentCounter.objects.create(series=series, year=year, last_number=0)
        except IntegrityError:
            pass  # created meanwhile by another transaction: lock theirs below
        counter = DocumentCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return document_number_format(series=series, year=year, number=counter.last_number)
