from django.urls import path

from backoffice.accounts import views

app_name = "two_factor"
urlpatterns = [
    path("enrol/", views.EnrolView.as_view(), name="enrol"),
    path("recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("verify/", views.VerifyView.as_view(), name="verify"),
]
