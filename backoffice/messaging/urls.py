"""The providers' webhooks (messaging.webhooks), under /webhooks/ (backoffice.urls)."""

from anymail import urls as anymail_urls
from django.urls import include, path

from backoffice.messaging import webhooks

# Delivery receipts from the ESPs Caseload is set up for (basic auth, ANYMAIL_WEBHOOK_SECRET);
# anymail's other webhooks need settings of their own and would answer 500.
TRACKED_ESPS = ("postmark", "sendgrid", "amazon_ses")
anymail_tracking = [
    pattern
    for pattern in anymail_urls.urlpatterns
    if pattern.name in {f"{esp}_tracking_webhook" for esp in TRACKED_ESPS}
]

app_name = "webhooks"
urlpatterns = [
    path("vonage/inbound/", webhooks.vonage_inbound, name="vonage_inbound"),
    path("vonage/status/", webhooks.vonage_status, name="vonage_status"),
    # e.g. /webhooks/anymail/postmark/tracking/
    path("anymail/", include((anymail_tracking, "anymail"))),
]
