from django.contrib import admin
from django.urls import include, path

from portal.reminder_links import ReminderLinkView
from portal.views import landing

urlpatterns = [
    path("", landing, name="landing"),
    # Before admin/: the admin's catch-all would answer these paths with a 404.
    path("admin/reports/", include("backoffice.reports.urls")),
    # admin/notifications/, portal/notifications/ and notifications/.
    path("", include("backoffice.notifications.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The second step of signing in (staff, and therapists who enrolled).
    path("two-factor/", include("backoffice.accounts.urls")),
    path("portal/", include("portal.urls")),
    path("client/", include("portal.client.urls")),
    path("webhooks/", include("backoffice.messaging.urls")),
    # The email reminder's signed links (no sign-in): confirm or cancel one session.
    path(
        "reminders/<str:token>/confirm/",
        ReminderLinkView.as_view(action="confirm"),
        name="reminder_confirm",
    ),
    path(
        "reminders/<str:token>/cancel/",
        ReminderLinkView.as_view(action="cancel"),
        name="reminder_cancel",
    ),
]
