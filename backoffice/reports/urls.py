"""Report pages under admin/reports/, each behind the admin's staff sign-in."""

from django.contrib import admin
from django.urls import path

from backoffice.reports import views

app_name = "reports"

urlpatterns = [
    path("week/", admin.site.admin_view(views.week_view), name="week"),
    path("utilization/", admin.site.admin_view(views.utilization_view), name="utilization"),
    path(
        "utilization/export/",
        admin.site.admin_view(views.utilization_export),
        name="utilization_export",
    ),
]
