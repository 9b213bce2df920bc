"""Whatever the upload limit lets through is read, or refused, in under 2 s and 200 MB.

Once a 1 MB workbook holding a 1 GB cell took the web process to 2.2 GB before it was
refused, and 1.5 million empty rows took 16 s. Each file below is read by the import in a
fresh Python process, as the web process would: its peak memory is Linux's VmHWM (reset
before each file) less what the process held before, its time is CPU time (the work done,
which a loaded 2-core machine does not stretch the way it stretches wall time). The process
may not grow past 2 GB, so a lost limit fails here instead of taking the machine's memory.
"""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from backoffice.billing.services.imports import MAX_FILE_BYTES
from tests.billing import workbooks
from tests.billing.test_finance_import import csv_file, xlsx_file
from tests.billing.workbooks import (
    SHEET_END,
    SHEET_START,
    STRINGS_END,
    STRINGS_START,
    Part,
    header_row,
    sheet_of,
    workbook,
)

MAX_SECONDS = 2.0
MAX_MEGABYTES = 200
GB = 1024 * 1024 * 1024
MB = 1024 * 1024

MEASURE = """
import gc, json, os, resource, sys, time

import django

django.setup()
from backoffice.billing.services.imports import payments_file_read


def megabytes(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


limit = int((megabytes("VmSize") + 2048) * 1024 * 1024)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
figures = {}
for path in sys.argv[1:]:
    with open(path, "rb") as file:
        content = file.read()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM starts again from what the process holds now
    before, started = megabytes("VmRSS"), time.process_time()
    try:
        result = payments_file_read(name=path.rsplit("-", 1)[1], content=content)
        outcome = {
            "lines": len(result.lines),
            "problems": [[p.line, p.reason] for p in result.problems[:2]],
        }
    except MemoryError:
        outcome = {"error": "MemoryError"}
    seconds = time.process_time() - started
    outcome.update(seconds=seconds, megabytes=megabytes("VmHWM") - before)
    figures[path] = outcome
    result = content = None
print(json.dumps(figures))
"""


def one_gb_cell() -> bytes:
    """1 MB on the wire; the shared string it holds unpacks to 1 GB."""
    strings = Part.repeated(
        "xl/sharedStrings.xml",
        STRINGS_START + "<si><t>",
        b"x" * MB,
        1024,
        "</t></si>" + STRINGS_END,
    )
    return workbook(sheet_of('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), strings)


def zip_bomb() -> bytes:
    """2 MB of zip; a sheet of 1 GB of rows."""
    rows = Part.repeated(
        "xl/worksheets/sheet1.xml",
        SHEET_START + header_row(),
        b"<row/>" * 10_000,
        17_900,
        SHEET_END,
    )
    return workbook(rows)


def lying_zip_bomb() -> bytes:
    """A part that says it unpacks to 1 kB and inflates to 256 MB."""
    strings = Part.repeated(
        "xl/sharedStrings.xml", STRINGS_START + "<si><t>", b"x" * MB, 256, "</t></si>" + STRINGS_END
    )
    sheet = sheet_of('<row r="2"><c r="A2" t="s"><v>0</v></c></row>')
    return workbook(sheet, strings, declare={"xl/sharedStrings.xml": 1000})


def many_parts() -> bytes:
    empty = [Part.of(f"xl/media/empty{n}.bin", b"") for n in range(60_000)]
    return workbooks.zip_of(empty)


def empty_rows_workbook() -> bytes:
    """60,000 empty rows: under the unpacked size limit, so the rows are streamed."""
    return workbook(sheet_of("".join(f'<row r="{n}"/>' for n in range(2, 60_002))))


def only_the_last_row() -> bytes:
    """A cell in the sheet's last row: openpyxl yields a million empty rows before it."""
    last = 1_048_576
    return workbook(sheet_of(f'<row r="{last}">{workbooks.cell("A", last, "INV-1")}</row>'))


def tiny_strings_at_the_limit() -> bytes:
    """The costliest XML a workbook under the limit can hold: 1-letter shared strings."""
    strings = Part.repeated(
        "xl/sharedStrings.xml", STRINGS_START, b"<si><t>a</t></si>" * 1000, 60, STRINGS_END
    )
    return workbook(sheet_of(""), strings)


def tiny_cells_at_the_limit() -> bytes:
    """Rows of 2,000 bare number cells, no dimension: openpyxl parses every cell twice."""
    row = b"<row>" + b"<c><v>1</v></c>" * 2000 + b"</row>"
    start = SHEET_START + header_row()
    return workbook(Part.repeated("xl/worksheets/sheet1.xml", start, row, 34, SHEET_END))


RECEIVED = datetime.date(2026, 1, 15)  # before any clock the suite runs under


def remittance_rows(count: int) -> list[list]:
    return [
        [f"Payer {n % 40}", f"INV-2026-{n // 5 + 1:05d}", 150.0, RECEIVED, "EFT", f"EFT-{n % 40}"]
        for n in range(count)
    ]


def largest_csv() -> bytes:
    return csv_file([[*row[:3], RECEIVED.isoformat(), *row[4:]] for row in remittance_rows(10_000)])


# title: (file name, builder, what the import says: a problem's start, or the lines read)
FILES = {
    "a 1 MB workbook holding a 1 GB cell": (
        "r.xlsx",
        one_gb_cell,
        "The workbook unpacks to 1,024.0 MB",
    ),
    "a zip bomb: 1 GB of rows in 2 MB": ("r.xlsx", zip_bomb, "The workbook unpacks to 1,024"),
    "a zip bomb whose sizes lie": ("r.xlsx", lying_zip_bomb, "The file is not a readable Excel"),
    "a zip of 60,000 parts": ("r.xlsx", many_parts, "The workbook has more than 100 parts"),
    "a workbook of 60,000 empty rows": (
        "r.xlsx",
        empty_rows_workbook,
        "The file has more than 1,000 empty rows",
    ),
    "a workbook whose only row is its 1,048,576th": (
        "r.xlsx",
        only_the_last_row,
        "The file has more than 1,000 empty rows",
    ),
    "a CSV of 1.5 million empty rows": (
        "r.csv",
        lambda: b"invoice_number,amount,received_on,method\n" + b",,,\n" * 1_500_000,
        "The file has more than 1,000 empty rows",
    ),
    "a CSV of 300,000 rows": (
        "r.csv",
        lambda: csv_file([["ICBC", "INV-1", "1", "2026-01-15", "eft", ""]] * 300_000)[: 10 * MB],
        "The file has more than 10,000 rows",
    ),
    "a CSV with a 10 MB line": (
        "r.csv",
        lambda: b"invoice_number,amount,received_on,method\n" + b"x" * (10 * MB - 50),
        "Line 2 is longer than 10,000 characters",
    ),
    "a CSV with a 10 MB cell over many lines": (
        "r.csv",
        lambda: b'invoice_number,amount,received_on,method\n"' + b"x\n" * (5 * MB - 30),
        "Line 2 cannot be read as CSV",
    ),
    "the costliest workbook under the size limit: tiny strings": (
        "r.xlsx",
        tiny_strings_at_the_limit,
        "The file has a header but no rows",
    ),
    "the costliest workbook under the size limit: tiny cells": (
        "r.xlsx",
        tiny_cells_at_the_limit,
        "The row has a value in a column without a header",
    ),
    "a remittance of 3,000 rows in Excel": (
        "r.xlsx",
        lambda: xlsx_file(remittance_rows(3000)),
        3000,
    ),
    "a remittance of 10,000 rows in CSV": ("r.csv", largest_csv, 10_000),
}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("peak memory is read from Linux's /proc")
    directory = tmp_path_factory.mktemp("hostile")
    paths = {}
    for number, (title, (name, build, _outcome)) in enumerate(FILES.items()):
        paths[title] = directory / f"{number}-{name}"
        paths[title].write_bytes(build())
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *map(str, paths.values())],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings", "DJANGO_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    return {
        title: {**figures[str(path)], "bytes": path.stat().st_size} for title, path in paths.items()
    }


@pytest.mark.parametrize("title", FILES)
def test_any_file_the_upload_limit_allows_is_read_in_bounded_time_and_memory(measured, title):
    _name, _build, outcome = FILES[title]
    figures = measured[title]
    assert figures["bytes"] <= MAX_FILE_BYTES
    assert "error" not in figures, figures
    if isinstance(outcome, int):
        assert (figures["lines"], figures["problems"]) == (outcome, [])
    else:
        assert figures["problems"][0][1].startswith(outcome), figures["problems"]
    assert figures["seconds"] < MAX_SECONDS, figures
    assert figures["megabytes"] < MAX_MEGABYTES, figures
