from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal.views import landing

urlpatterns = [
    path("", landing, name="landing"),
    # Before admin/: the admin's catch-all would answer these paths with a 404.
    path("admin/reports/", include("backoffice.reports.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
