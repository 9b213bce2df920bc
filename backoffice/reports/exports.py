"""Excel exports of the reports, written by `documents.spreadsheets`."""

from __future__ import annotations

from django.utils.translation import gettext as _

from backoffice.documents.spreadsheets import workbook_xlsx
from backoffice.reports.selectors import UtilizationReport, UtilizationRow


def utilization_xlsx(*, report: UtilizationReport) -> bytes:
    """The utilization report as a workbook: one sheet each for sites, rooms and therapists."""
    headers = [_("Reserved hours"), _("Hours held"), _("Utilization %"), _("Under-used")]
    period = [_("Period"), f"{report.date_from:%Y-%m-%d} – {report.date_to:%Y-%m-%d}"]
    sheets = [
        (_("Sites"), [_("Site")], report.sites, lambda row: [row.name]),
        (_("Rooms"), [_("Site"), _("Room")], report.rooms, lambda row: [row.site, row.name]),
        (_("Therapists"), [_("Therapist")], report.therapists, lambda row: [row.name]),
    ]
    return workbook_xlsx(
        (
            title,
            [period, [*names, *headers], *([*name_cells(row), *_figures(row)] for row in rows)],
        )
        for title, names, rows, name_cells in sheets
    )


def _figures(row: UtilizationRow) -> list:
    return [
        row.reserved_hours,
        row.held_hours,
        row.percent,
        _("yes") if row.underused else "",
    ]
