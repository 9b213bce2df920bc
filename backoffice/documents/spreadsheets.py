"""Workbooks and CSV files for any export: openpyxl in write-only mode, so memory stays flat
however many rows, and every text cell through `spreadsheet_safe` (docs/quality.md, exports
run no formula)."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator
from io import BytesIO, StringIO

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows a database cursor hands an export at a time (`QuerySet.iterator(chunk_size=…)`).
EXPORT_CHUNK_ROWS = 2000
# A cell starting with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value as a cell may hold it: text that a spreadsheet would run as a formula gets a
    leading single quote; numbers, dates and empty cells pass unchanged.

    Spreadsheet programs skip leading spaces and line breaks, and read full-width signs
    (U+FF1D for "=") as their ASCII twins: the first character after any leading whitespace
    is also checked in its compatibility form (NFKC)."""
    if not isinstance(value, str):
        return value
    first = value.lstrip()[:1]
    if not first.isascii():
        first = unicodedata.normalize("NFKC", first)
    if value.startswith(FORMULA_PREFIXES) or first.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def choice_label(choices, value) -> str:
    """The label of a stored choice, for a cell (the value itself when it is not a choice)."""
    return str(dict(choices).get(value, value or ""))


def workbook_xlsx(sheets: Iterable[tuple[str, Iterable[Iterable]]]) -> bytes:
    """A workbook of `(title, rows)` sheets (the headers are rows too), written as it is read."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([spreadsheet_safe(cell) for cell in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_xlsx(*, title: str, headers: list[str], rows: Iterable[list]) -> bytes:
    """A one-sheet workbook: the headers, then the rows."""
    return workbook_xlsx([(title, with_headers(headers, rows))])


def with_headers(headers: list[str], rows: Iterable[list]) -> Iterator[list]:
    """The headers, then the rows: one sheet's rows for `workbook_xlsx`."""
    yield headers
    yield from rows


def rows_csv(*, headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text, a row at a time (for a streaming response), every text cell made safe."""
    buffer = StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark so Excel reads the accents as UTF-8.
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_safe(cell) for cell in headers])
    for row in rows:
        writer.writerow(
            [
                spreadsheet_safe(cell) if isinstance(cell, str) else ("" if cell is None else cell)
                for cell in row
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
