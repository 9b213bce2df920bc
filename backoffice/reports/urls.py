"""The report pages under admin/reports/ (namespace `reports`): unfold custom views of the
admin site, each behind its sign-in (`admin_view`) and the view's permission. A report is a
page of the admin of what it reads: the week view of appointments', utilization of room
reservations'."""

from django.contrib import admin
from django.urls import path

from backoffice.reports.admin.views import UtilizationExportView, UtilizationView, WeekView
from backoffice.scheduling.models import Appointment, RoomReservation

app_name = "reports"


def _page(view, model):
    return admin.site.admin_view(view.as_view(model_admin=admin.site.get_model_admin(model)))


urlpatterns = [
    path("week/", _page(WeekView, Appointment), name="week"),
    path("utilization/", _page(UtilizationView, RoomReservation), name="utilization"),
    path(
        "utilization/export/",
        _page(UtilizationExportView, RoomReservation),
        name="utilization_export",
    ),
]
