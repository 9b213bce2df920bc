from django.contrib.auth import views as auth_views
from django.urls import path

from portal import accounts, views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("alerts/", views.HomeView.as_view(), name="alerts"),
    path("clients/", views.ClientListView.as_view(), name="clients"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client"),
    path("clients/<int:pk>/request/", views.ClientRequestView.as_view(), name="client_request"),
    path(
        "authorizations/<int:pk>/renewal/",
        views.RenewalUploadView.as_view(),
        name="renewal_upload",
    ),
    path(
        "authorizations/<int:pk>/renewal/document/",
        views.RenewalDocumentView.as_view(),
        name="renewal_document",
    ),
    path("schedule/", views.ScheduleView.as_view(), name="schedule"),
    path("schedule/week/", views.WeekView.as_view(), name="week"),
    path("sessions/<int:pk>/attendance/", views.AttendanceView.as_view(), name="attendance"),
    path("rooms/", views.RoomsView.as_view(), name="rooms"),
    path("statements/", views.StatementListView.as_view(), name="statements"),
    path("statements/<int:pk>/pdf/", views.StatementPdfView.as_view(), name="statement_pdf"),
    path("login/", accounts.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/set/<uidb64>/<token>/",
        accounts.PasswordSetView.as_view(),
        name="password_set",
    ),
]
