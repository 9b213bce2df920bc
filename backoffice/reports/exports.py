"""Excel exports of the reports (openpyxl, write-only: memory stays flat however many rows)."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from backoffice.reports.selectors import UtilizationReport, UtilizationRow

# A cell starting with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value as a cell may hold it: text that a spreadsheet would run as a formula gets a
    leading single quote (QUALITY S5); numbers, dates and empty cells pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _row(cells) -> list:
    return [spreadsheet_safe(cell) for cell in cells]


def utilization_xlsx(*, report: UtilizationReport) -> bytes:
    """The utilization report as a workbook: one sheet each for sites, rooms and therapists."""
    workbook = Workbook(write_only=True)
    headers = [_("Reserved hours"), _("Hours held"), _("Utilization %"), _("Under-used")]
    sheets = [
        (_("Sites"), [_("Site")], report.sites, lambda row: [row.name]),
        (_("Rooms"), [_("Site"), _("Room")], report.rooms, lambda row: [row.site, row.name]),
        (_("Therapists"), [_("Therapist")], report.therapists, lambda row: [row.name]),
    ]
    for title, names, rows, name_cells in sheets:
        sheet = workbook.create_sheet(title=title)
        sheet.append(
            _row([_("Period"), f"{report.date_from:%Y-%m-%d} – {report.date_to:%Y-%m-%d}"])
        )
        sheet.append(_row([*names, *headers]))
        for row in rows:
            sheet.append(_row([*name_cells(row), *_figures(row)]))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _figures(row: UtilizationRow) -> list:
    return [
        row.reserved_hours,
        row.held_hours,
        row.percent,
        _("yes") if row.underused else "",
    ]
