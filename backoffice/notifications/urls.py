"""The notifications' URLs (namespace `notifications`), mounted at the site's root: staff's
pages in the admin, therapists' in the portal, and the POSTs on one's own notifications."""

from django.urls import path

from backoffice.notifications import views
from backoffice.notifications.admin.views import StaffListView, StaffPreferencesView, page

app_name = "notifications"
urlpatterns = [
    path("admin/notifications/", page(StaffListView), name="staff"),
    path("admin/notifications/emails/", page(StaffPreferencesView), name="staff_preferences"),
    path("portal/notifications/", views.PortalListView.as_view(), name="portal"),
    path(
        "portal/notifications/emails/",
        views.PortalPreferencesView.as_view(),
        name="portal_preferences",
    ),
    path("notifications/<int:pk>/open/", views.OpenView.as_view(), name="open"),
    path("notifications/<int:pk>/read/", views.ReadView.as_view(), name="read"),
    path("notifications/read-all/", views.ReadAllView.as_view(), name="read_all"),
]
