"""The client pages: a client signs in by an emailed link and sees only their own sessions,
invoices, receipts and reminder choices."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from portal.client import views

app_name = "client"
urlpatterns = [
    path("", views.SessionsView.as_view(), name="home"),
    path("sessions/<int:pk>/confirm/", views.ConfirmView.as_view(), name="confirm"),
    path("sessions/<int:pk>/cancel/", views.CancelView.as_view(), name="cancel"),
    path("invoices/", views.DocumentsView.as_view(), name="documents"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("receipts/<int:pk>/pdf/", views.ReceiptPdfView.as_view(), name="receipt_pdf"),
    path("reminders/", views.PreferencesView.as_view(), name="preferences"),
    path("sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("sign-in/sent/", views.SignInSentView.as_view(), name="sign_in_sent"),
    path("sign-in/link/", views.LinkView.as_view(), name="link"),
    path(
        "sign-out/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("client:sign_in")),
        name="sign_out",
    ),
]
