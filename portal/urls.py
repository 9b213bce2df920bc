from django.contrib.auth import views as auth_views
from django.urls import path

from portal import accounts, views

app_name = "portal"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="home"),
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
