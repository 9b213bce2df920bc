"""SMS transports. Each raises TransientError (worth retrying) or PermanentError (not)."""

from datetime import UTC, datetime

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import HttpRequestError


class TransientError(Exception):
    """The provider may accept the message later: retry with backoff."""


class PermanentError(Exception):
    """Retrying cannot help (bad number, rejected content, bad credentials)."""


class SmsTransport:
    def send(self, *, to: str, body: str, reference: int) -> str:
        """Send one SMS; return the provider's message id. `reference` (the outbox message)
        comes back in the provider's delivery receipt."""
        raise NotImplementedError


class ConsoleSmsTransport(SmsTransport):
    """Embedded default: appends each SMS to settings.SMS_LOG_PATH instead of sending it."""

    def send(self, *, to: str, body: str, reference: int) -> str:
        path = settings.SMS_LOG_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp}\t{to}\t{body}\n")
        return f"console-{stamp}"


# Vonage SMS API status codes:
# these may succeed later; every other non-zero status is permanent.
VONAGE_TRANSIENT_STATUSES = {"1", "5", "9", "10"}  # throttled, internal, quota, too many binds


class VonageSmsTransport(SmsTransport):
    def __init__(self, *, timeout: int = 15):
        self.client = Vonage(
            Auth(api_key=settings.VONAGE_API_KEY, api_secret=settings.VONAGE_API_SECRET),
            HttpClientOptions(rest_host=settings.VONAGE_REST_HOST, timeout=timeout),
        )

    def send(self, *, to: str, body: str, reference: int) -> str:
        http = self.client.http_client
        try:
            response = http.post(
                http.rest_host,
                "/sms/json",
                {
                    "from": settings.VONAGE_FROM,
                    "to": to.lstrip("+"),
                    "text": body,
                    "type": "unicode",
                    "client-ref": str(reference),
                },
                "basic",
                "form",
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError(type(error).__name__) from error
        except HttpRequestError as error:
            status = error.response.status_code
            if status == 429 or status >= 500:
                raise TransientError(f"Vonage HTTP {status}") from error
            raise PermanentError(f"Vonage HTTP {status}") from error
        message = response["messages"][0]
        status = str(message.get("status"))
        if status == "0":
            return message["message-id"]
        reason = f"Vonage status {status}: {message.get('error-text', '')}"
        if status in VONAGE_TRANSIENT_STATUSES:
            raise TransientError(reason)
        raise PermanentError(reason)


SMS_TRANSPORTS = {
    "console": "backoffice.messaging.transports.ConsoleSmsTransport",
    "vonage": "backoffice.messaging.transports.VonageSmsTransport",
}


def sms_transport() -> SmsTransport:
    return import_string(SMS_TRANSPORTS[settings.SMS_TRANSPORT])()
