"""Fault injection for the outbox: faults at the provider's edge, a worker loop that sends
what is due until nothing is, and the count of lost and doubled messages per case, printed at
the end of the test run (docs/quality.md, Outbox).

A message is *lost* when it never reached the provider and nobody was told (it is neither
failed nor unconfirmed); *doubled* when the provider received it more than once.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.core.mail.backends.smtp import EmailBackend
from django.utils import timezone

from backoffice.messaging.models import OutboxMessage, OutboxStatus
from backoffice.messaging.services import outbox_due_ids, outbox_send

# Each case's counts, printed by pytest_terminal_summary.
RESULTS: list[FaultCount] = []


@dataclass(frozen=True)
class FaultCount:
    case: str
    messages: int
    delivered: int
    lost: int
    doubled: int


def fault_count(case: str, message_ids: list[int], received_ids: list[str]) -> FaultCount:
    """Count one case from the outbox ids the provider received (X-Caseload-Message)."""
    times = Counter(int(received) for received in received_ids)
    told = set(
        OutboxMessage.objects.filter(
            pk__in=message_ids, status__in=[OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED]
        ).values_list("pk", flat=True)
    )
    count = FaultCount(
        case=case,
        messages=len(message_ids),
        delivered=sum(1 for pk in message_ids if times[pk]),
        lost=sum(1 for pk in message_ids if not times[pk] and pk not in told),
        doubled=sum(1 for pk in message_ids if times[pk] > 1),
    )
    RESULTS.append(count)
    return count


def worker_rounds(message_ids: list[int], *, rounds: int = 20) -> None:
    """What a worker and its sweep do over time: send every due message, let every retry
    come due, again, until no message is waiting."""
    for _round in range(rounds):
        waiting = OutboxMessage.objects.filter(
            pk__in=message_ids, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
        )
        if not waiting.exists():
            return
        # The clock moves on: retries and expired leases come due.
        waiting.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        OutboxMessage.objects.filter(pk__in=message_ids).update(
            created_at=timezone.now() - timedelta(minutes=2)
        )
        for message_id in outbox_due_ids(limit=len(message_ids)):
            outbox_send(message_id=message_id)


class FaultyEmailBackend(EmailBackend):
    """Django's SMTP backend with an error inside the client that nothing maps (the kind an
    ESP's library raises on a response it does not expect), while `failing` is set."""

    failing = False

    def send_messages(self, email_messages):
        if FaultyEmailBackend.failing:
            raise ValueError("unexpected response from the provider")
        return super().send_messages(email_messages)


class SilentServer:
    """A TCP server that accepts connections and never answers: a provider that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(512)
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()
        for connection in self.connections:
            connection.close()


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    terminalreporter.section("outbox fault injection: lost and doubled messages")
    terminalreporter.write_line(
        f"{'case':<48} {'messages':>8} {'delivered':>9} {'lost':>5} {'doubled':>7}"
    )
    for count in RESULTS:
        terminalreporter.write_line(
            f"{count.case:<48} {count.messages:>8} {count.delivered:>9} "
            f"{count.lost:>5} {count.doubled:>7}"
        )
