"""The providers calling us: Vonage's inbound SMS and delivery receipts, and the email
provider's tracking events (through django-anymail's own webhook view and its `tracking`
signal). Each request is authenticated before anything is read into the database; each
provider's words become the outbox's (docs/architecture.md, Receipts and replies).
"""

import json
import logging
import time

from anymail.signals import EventType, RejectReason
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from vonage import Auth

from backoffice.messaging.models import DeliveryStatus
from backoffice.messaging.services.receipts import (
    email_event_record,
    sms_inbound_record,
    sms_receipt_record,
)

logger = logging.getLogger(__name__)

# Vonage delivery-receipt statuses that are final: delivered, or never will be.
VONAGE_DELIVERY = {
    "delivered": DeliveryStatus.DELIVERED,
    "failed": DeliveryStatus.UNDELIVERED,
    "rejected": DeliveryStatus.UNDELIVERED,
    "expired": DeliveryStatus.UNDELIVERED,
}
# Vonage err-codes saying the number itself cannot receive SMS: absent subscriber
# (permanent), illegal number, destination unreachable (docs/rules.md, Undeliverable contacts).
VONAGE_DEAD_NUMBER_CODES = {"3", "9", "12"}


def _vonage_params(request: HttpRequest) -> dict[str, str]:
    """The webhook's parameters: Vonage posts them as a form or, if so configured, JSON."""
    if request.content_type != "application/json":
        return request.POST.dict()
    try:
        body = json.loads(request.body)
    except ValueError:
        return {}
    return {key: str(value) for key, value in body.items()} if isinstance(body, dict) else {}


def _vonage_refusal(params: dict[str, str]) -> str:
    """Why a call is not Vonage's, or empty: it must be signed with the account's signature
    secret (HMAC, VONAGE_SIGNATURE_METHOD) and recent (a replayed old call is refused)."""
    if not (settings.VONAGE_SIGNATURE_SECRET and settings.VONAGE_API_KEY):
        return "signature secret not configured"
    if not params.get("sig") or not params.get("timestamp", "").isdigit():
        return "unsigned"
    if abs(time.time() - int(params["timestamp"])) > settings.VONAGE_WEBHOOK_MAX_AGE_SECONDS:
        return "stale timestamp"
    auth = Auth(
        api_key=settings.VONAGE_API_KEY,
        signature_secret=settings.VONAGE_SIGNATURE_SECRET,
        signature_method=settings.VONAGE_SIGNATURE_METHOD,
    )
    if not auth.check_signature(dict(params)):
        return "bad signature"
    return ""


def _vonage_view(handle):
    """A Vonage webhook: POST only, no CSRF (Vonage signs instead), 403 unless signed."""

    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        params = _vonage_params(request)
        refusal = _vonage_refusal(params)
        if refusal:
            logger.warning("Vonage webhook %s refused: %s", request.path, refusal)
            return HttpResponseForbidden()
        handle(params)
        return HttpResponse(status=204)

    return view


def _inbound(params: dict[str, str]) -> None:
    digits = "".join(character for character in params.get("msisdn", "") if character.isdigit())
    if params.get("messageId") and digits:
        sms_inbound_record(
            provider_message_id=params["messageId"],
            sender=f"+{digits}",
            text=params.get("text", ""),
        )


def _status(params: dict[str, str]) -> None:
    delivery = VONAGE_DELIVERY.get(params.get("status", ""))
    if delivery is None:  # accepted, buffered, unknown: not final yet
        return
    code = params.get("err-code", "")
    sms_receipt_record(
        provider_message_id=params.get("messageId", ""),
        delivery=delivery,
        error="" if delivery == DeliveryStatus.DELIVERED else f"{params['status']} {code}",
        number_dead=code in VONAGE_DEAD_NUMBER_CODES,
        reference=params.get("client-ref", ""),
    )


vonage_inbound = _vonage_view(_inbound)
vonage_status = _vonage_view(_status)


def _email_delivery(event) -> DeliveryStatus | None:
    """Anymail's normalized event as the outbox records it: a hard bounce (or an address the
    provider refuses as invalid or bounced before) is BOUNCED; a soft bounce or another
    refusal is UNDELIVERED; opens, clicks and the like are not kept."""
    if event.event_type == EventType.DELIVERED:
        return DeliveryStatus.DELIVERED
    if event.event_type == EventType.BOUNCED:
        soft = isinstance(event.esp_event, dict) and event.esp_event.get("Type") == "SoftBounce"
        return DeliveryStatus.UNDELIVERED if soft else DeliveryStatus.BOUNCED
    if event.event_type == EventType.REJECTED:
        if event.reject_reason in (RejectReason.INVALID, RejectReason.BOUNCED):
            return DeliveryStatus.BOUNCED
        return DeliveryStatus.UNDELIVERED
    if event.event_type == EventType.FAILED:
        return DeliveryStatus.UNDELIVERED
    return None


def email_tracked(sender, event, esp_name, **kwargs) -> None:
    """anymail's `tracking` signal, sent by its webhook view once the request passed its basic
    authentication (ANYMAIL["WEBHOOK_SECRET"])."""
    delivery = _email_delivery(event)
    if delivery is None or not event.message_id:
        return
    reason = " ".join(part for part in (event.reject_reason, event.description) if part)
    email_event_record(provider_message_id=event.message_id, delivery=delivery, error=reason)
