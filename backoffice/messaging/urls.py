"""The providers' webhooks (messaging.webhooks), under /webhooks/ (backoffice.urls)."""

from django.urls import include, path

from backoffice.messaging import webhooks

app_name = "webhooks"
urlpatterns = [
    path("vonage/inbound/", webhooks.vonage_inbound, name="vonage_inbound"),
    path("vonage/status/", webhooks.vonage_status, name="vonage_status"),
    # anymail's tracking webhooks, e.g. /webhooks/anymail/postmark/tracking/ (basic auth).
    path("anymail/", include("anymail.urls")),
]
