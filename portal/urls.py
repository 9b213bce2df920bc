from django.contrib.auth import views as auth_views
from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="home"),
    path("statements/", views.StatementListView.as_view(), name="statements"),
    path("statements/<int:pk>/pdf/", views.StatementPdfView.as_view(), name="statement_pdf"),
    path("login/", auth_views.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
