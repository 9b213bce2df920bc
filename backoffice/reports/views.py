"""Report pages in the admin: thin views over reports.selectors (wired in backoffice.urls)."""

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.documents.spreadsheets import XLSX
from backoffice.documents.zips import attachment
from backoffice.reports.exports import utilization_xlsx
from backoffice.reports.forms import PeriodForm, WeekForm
from backoffice.reports.selectors import room_utilization, week_grid, week_start_of


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def week_view(request):
    """One therapist's or one room's week, Monday to Sunday in Vancouver."""
    _require(request, "scheduling.view_appointment")
    form = WeekForm(request.GET or None)
    grid = therapist = room = None
    links = {}
    if form.is_bound and form.is_valid():
        therapist, room = form.cleaned_data["therapist"], form.cleaned_data["room"]
        week = form.cleaned_data["week"] or timezone.localdate()
        if therapist or room:
            grid = week_grid(therapist=therapist, room=room, week_start=week_start_of(week))
            for name, day in (("previous", grid.previous_week), ("next", grid.next_week)):
                params = request.GET.copy()
                params["week"] = day.isoformat()
                links[name] = f"?{params.urlencode()}"
    context = {
        **admin.site.each_context(request),
        "title": _("Week view"),
        "form": form,
        "grid": grid,
        "subject": therapist or room,
        "by_room": room is not None,
        "links": links,
        # Client names are health information: shown to staff who may see clients.
        "show_clients": request.user.has_perm("caseload.view_client"),
    }
    return TemplateResponse(request, "reports/week.html", context)


def utilization_view(request):
    """Reserved and held hours per site, room and therapist over a period, with a chart."""
    _require(request, "scheduling.view_roomreservation")
    form = PeriodForm(request.GET or None)
    period = form.period()
    report = room_utilization(date_from=period[0], date_to=period[1]) if period else None
    context = {
        **admin.site.each_context(request),
        "title": _("Room utilization"),
        "form": form,
        "report": report,
        "export_query": request.GET.urlencode(),
        "chart": _chart(report) if report else None,
        "chart_options": CHART_OPTIONS,
    }
    return TemplateResponse(request, "reports/utilization.html", context)


def utilization_export(request):
    """The utilization tables as an Excel workbook."""
    _require(request, "scheduling.view_roomreservation")
    period = PeriodForm(request.GET or None).period()
    if period is None:
        return HttpResponse(_("Choose a valid period."), status=400, content_type="text/plain")
    report = room_utilization(date_from=period[0], date_to=period[1])
    response = HttpResponse(utilization_xlsx(report=report), content_type=XLSX)
    filename = f"room-utilization-{period[0]:%Y-%m-%d}-{period[1]:%Y-%m-%d}.xlsx"
    return attachment(response, filename)


# unfold's defaults draw 4 px overlapping bars; reserved beside held reads better per room.
CHART_OPTIONS = json.dumps(
    {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "maxBarThickness": 24,
        "datasets": {"bar": {"borderRadius": 4}},
        "plugins": {"legend": {"display": True, "align": "end"}},
        "scales": {"y": {"beginAtZero": True}},
    }
)


def _chart(report) -> str:
    """Chart.js data for unfold's bar chart: reserved and held hours per room."""
    return json.dumps(
        {
            "labels": [f"{row.site} · {row.name}" for row in report.rooms],
            "datasets": [
                {
                    "label": _("Reserved hours"),
                    "data": [float(row.reserved_hours) for row in report.rooms],
                    "backgroundColor": "var(--color-base-300)",
                },
                {
                    "label": _("Hours held"),
                    "data": [float(row.held_hours) for row in report.rooms],
                    "backgroundColor": "var(--color-primary-600)",
                },
            ],
        },
        ensure_ascii=False,
    )
