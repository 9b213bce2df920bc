"""An email provider on loopback speaking Postmark's send API (POST /email), for anymail's
Postmark backend: it records what it accepted and can answer with Postmark's errors.

    def test_…(postmark_server):
        postmark_server.answer = "inactive"   # 422, ErrorCode 406: the recipient bounced before
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# What the server answers: (HTTP status, body) per mode; "ok" also returns a MessageID.
ANSWERS = {
    "inactive": (
        422,
        {
            "ErrorCode": 406,
            "Message": "You tried to send to a recipient that has been marked as inactive.\n"
            "Found inactive addresses: {to}.\nInactive recipients are ones that have "
            "generated a hard bounce or a spam complaint.",
        },
    ),
    "unauthorized": (401, {"ErrorCode": 10, "Message": "Bad or missing API token"}),
    "unavailable": (503, {"ErrorCode": 0, "Message": "Service unavailable"}),
}


class PostmarkServer:
    def __init__(self):
        self.accepted: list[dict] = []
        self.answer = "ok"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if server.answer == "ok":
                    status, body = (
                        200,
                        {
                            "To": payload["To"],
                            "SubmittedAt": "2026-12-05T10:00:00Z",
                            "MessageID": str(uuid.uuid4()),
                            "ErrorCode": 0,
                            "Message": "OK",
                        },
                    )
                    server.accepted.append({**payload, "MessageID": body["MessageID"]})
                else:
                    status, body = ANSWERS[server.answer]
                    body = {**body, "Message": body["Message"].format(to=payload["To"])}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> PostmarkServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def postmark_server(settings):
    """Email goes through anymail's Postmark backend to a loopback Postmark for the test."""
    with PostmarkServer() as server:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test-token", "POSTMARK_API_URL": server.url}
        yield server
