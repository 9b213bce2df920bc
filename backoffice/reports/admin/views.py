"""The report pages: unfold custom admin views over reports.selectors, each behind the admin's
sign-in and a permission (URLs in reports.urls)."""

import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.documents.spreadsheets import XLSX
from backoffice.documents.zips import attachment
from backoffice.reports.admin.forms import PeriodForm, WeekForm
from backoffice.reports.exports import utilization_xlsx
from backoffice.reports.selectors import room_utilization, week_grid, week_start_of


class WeekView(UnfoldModelAdminViewMixin, TemplateView):
    """One therapist's or one room's week, Monday to Sunday in Vancouver."""

    title = gettext_lazy("Week view")
    permission_required = ("scheduling.view_appointment",)
    template_name = "admin/reports/week.html"

    def get_context_data(self, **kwargs):
        form = WeekForm(self.request.GET or None)
        grid = therapist = room = None
        links = {}
        if form.is_bound and form.is_valid():
            therapist, room = form.cleaned_data["therapist"], form.cleaned_data["room"]
            week = form.cleaned_data["week"] or timezone.localdate()
            if therapist or room:
                grid = week_grid(therapist=therapist, room=room, week_start=week_start_of(week))
                for name, day in (("previous", grid.previous_week), ("next", grid.next_week)):
                    params = self.request.GET.copy()
                    params["week"] = day.isoformat()
                    links[name] = f"?{params.urlencode()}"
        return super().get_context_data(
            **kwargs,
            form=form,
            grid=grid,
            subject=therapist or room,
            by_room=room is not None,
            links=links,
            # Client names are health information: shown to staff who may see clients.
            show_clients=self.request.user.has_perm("caseload.view_client"),
        )


class UtilizationView(UnfoldModelAdminViewMixin, TemplateView):
    """Reserved and held hours per site, room and therapist over a period, with a chart."""

    title = gettext_lazy("Room utilization")
    permission_required = ("scheduling.view_roomreservation",)
    template_name = "admin/reports/utilization.html"

    def get_context_data(self, **kwargs):
        form = PeriodForm(self.request.GET or None)
        period = form.period()
        report = room_utilization(date_from=period[0], date_to=period[1]) if period else None
        return super().get_context_data(
            **kwargs,
            form=form,
            report=report,
            export_query=self.request.GET.urlencode(),
            chart=_chart(report) if report else None,
            chart_options=CHART_OPTIONS,
        )


class UtilizationExportView(UnfoldModelAdminViewMixin, View):
    """The utilization tables as an Excel workbook."""

    permission_required = ("scheduling.view_roomreservation",)

    def get(self, request):
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
