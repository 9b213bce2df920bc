"""A loopback HTTPS server speaking Vonage's SMS API, and Vonage's side of the webhooks.

The server answers `POST /sms/json` (form-encoded, basic auth) as Vonage does, keeps what it
received, and can be told to answer an error status or an HTTP error. Its certificate comes
from a throwaway CA (trustme) that `requests` trusts through REQUESTS_CA_BUNDLE. It also plays
Vonage calling Caseload: inbound SMS and delivery receipts, signed with the account's
signature secret as Vonage signs them (written here from Vonage's description, not with the
SDK's helper that the webhook checks with).

    def test_…(vonage_server, client):
        …                                                  # the outbox sends an SMS
        [sent] = vonage_server.received                    # {"to": …, "text": …, …}
        vonage_server.receipt(client, message_id=sent["message-id"], status="delivered")
        vonage_server.inbound(client, msisdn="16045550123", text="C")
        vonage_server.answer_status = "3"                  # the next send: "Invalid params"
        vonage_server.answer_http = 500                    # the next send: HTTP 500
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
import trustme

API_KEY = "caseload-test-key"
API_SECRET = "caseload-test-secret"
SIGNATURE_SECRET = "caseload-test-signature-secret"
SIGNATURE_METHOD = "sha256"
CLINIC_NUMBER = "16045550100"


def vonage_signature(params: dict[str, str], secret: str, method: str = SIGNATURE_METHOD) -> str:
    """Vonage's signature: HMAC of "&key=value" for every parameter but `sig`, keys sorted,
    "&" and "=" in values replaced by "_"; hex, lower case."""
    signed = "".join(
        f"&{key}={str(value).replace('&', '_').replace('=', '_')}"
        for key, value in sorted(params.items())
        if key != "sig"
    )
    return hmac.new(secret.encode(), signed.encode(), getattr(hashlib, method)).hexdigest()


class SmsApiHandler(BaseHTTPRequestHandler):
    server: VonageServer

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        peer = self.server
        if self.path != "/sms/json":
            return self._answer(404, {"error": "not found"})
        if peer.answer_http:
            status, peer.answer_http = peer.answer_http, None
            return self._answer(status, {"error": "injected"})
        message_id = uuid.uuid4().hex[:16].upper()
        answer = {"to": form.get("to", ""), "message-id": message_id, "status": "0"}
        if peer.answer_status:
            answer = {"status": peer.answer_status, "error-text": "Injected error"}
            peer.answer_status = None
        else:
            answer |= {"remaining-balance": "10.0", "message-price": "0.0075", "network": "302"}
        with peer.lock:
            peer.received.append({**form, "message-id": message_id})
            peer.authorizations.append(self.headers.get("Authorization", ""))
        self._answer(200, {"message-count": "1", "messages": [answer]})

    def _answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # keep the test output quiet
        pass


class VonageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ca: trustme.CA):
        super().__init__(("127.0.0.1", 0), SmsApiHandler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.lock = threading.Lock()
        self.received: list[dict[str, str]] = []
        self.authorizations: list[str] = []
        self.answer_status: str | None = None
        self.answer_http: int | None = None

    @property
    def host(self) -> str:
        """What the SDK takes as its REST host: `HttpClientOptions(rest_host=…)`."""
        return f"127.0.0.1:{self.server_address[1]}"

    def signed(self, params: dict[str, str], *, secret: str = SIGNATURE_SECRET) -> dict:
        """The parameters as Vonage posts them to a signed webhook."""
        params = {
            "api-key": API_KEY,
            "timestamp": str(int(time.time())),
            "nonce": uuid.uuid4().hex,
            **params,
        }
        return {**params, "sig": vonage_signature(params, secret)}

    def inbound(self, client, *, msisdn: str, text: str, message_id: str | None = None, **extra):
        """Vonage posting an SMS a client sent to the clinic's number."""
        params = {
            "msisdn": msisdn,
            "to": CLINIC_NUMBER,
            "messageId": message_id or uuid.uuid4().hex[:16].upper(),
            "text": text,
            "type": "text",
            "keyword": text.split()[0].upper() if text.split() else "",
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        }
        return client.post("/webhooks/vonage/inbound/", self.signed(params) | extra)

    def receipt(self, client, *, message_id: str, status: str, err_code: str = "0", **extra):
        """Vonage posting the delivery receipt (DLR) of an SMS we sent."""
        sent = next((form for form in self.received if form["message-id"] == message_id), {})
        params = {
            "msisdn": sent.get("to", "16045550123"),
            "to": CLINIC_NUMBER,
            "network-code": "302720",
            "messageId": message_id,
            "price": "0.00750000",
            "status": status,
            "scts": time.strftime("%y%m%d%H%M", time.gmtime()),
            "err-code": err_code,
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        }
        if "client-ref" in sent:
            params["client-ref"] = sent["client-ref"]
        return client.post("/webhooks/vonage/status/", self.signed(params) | extra)


@pytest.fixture
def vonage_server(settings, monkeypatch, tmp_path):
    """Vonage's SMS API on loopback HTTPS for the length of the test, with Caseload's Vonage
    settings (credentials, signature secret, REST host) pointed at it. SMS go through it once
    the test also sets `settings.SMS_TRANSPORT = "vonage"`."""
    ca = trustme.CA()
    bundle = tmp_path / "vonage-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    server = VonageServer(ca)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.VONAGE_API_KEY = API_KEY
    settings.VONAGE_API_SECRET = API_SECRET
    settings.VONAGE_SIGNATURE_SECRET = SIGNATURE_SECRET
    settings.VONAGE_SIGNATURE_METHOD = SIGNATURE_METHOD
    settings.VONAGE_REST_HOST = server.host
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
