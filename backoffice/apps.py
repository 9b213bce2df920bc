from django.apps import AppConfig
from django.conf import settings

from backoffice.zone_data import c_library_from_tzdata


class CaseloadConfig(AppConfig):
    """The project itself: its templates, static files and process-wide set-up."""

    name = "backoffice"
    verbose_name = "Caseload"

    def ready(self):
        c_library_from_tzdata(settings.TIME_ZONE)
        # Before django.contrib.admin's ready() registers every ModelAdmin on admin.site.
        from django.contrib import admin
        from django.contrib.admin import sites

        from backoffice.admin_site import CaseloadAdminSite

        admin.site = sites.site = CaseloadAdminSite()
