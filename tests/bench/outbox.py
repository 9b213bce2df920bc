"""P13 (docs/quality.md): the outbox's throughput with one worker, to a local SMTP server.

    python -m tests.bench.outbox [--messages 1000]     (make bench BENCH_ARGS="--only P13")

On a scratch database (databases.scratch_database), queues `--messages` reminder emails, then
sends them one after the other as one Huey worker does (the send task, its document
follow-up included) through Django's SMTP backend to an aiosmtpd server running in a process
of its own. Prints messages per second beside the bar (>= 50/s) and checks that the server
received each message exactly once; exits 1 when either misses.
"""

import argparse
import multiprocessing
import sys
import tempfile
import time

from tests.bench.databases import analyze, scratch_database

P13_MIN_PER_SECOND = 50


def smtp_server(port, ready, received):
    """An SMTP server in its own process: counts what it accepts, keyed by outbox id."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            received.put(envelope.content.split(b"X-Caseload-Message: ")[1].split(b"\r\n")[0])
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.sleep(3600))


def queue(count: int) -> list[int]:
    from backoffice.messaging.models import Channel, OutboxMessage, Purpose

    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=Channel.EMAIL,
            recipient=f"client-{n}@example.test",
            subject="Rappel : votre rendez-vous du 10 juin à 10 h",
            body_text="Bonjour Émile,\n\nCeci est un rappel de votre rendez-vous.\n" * 5,
            purpose=Purpose.REMINDER,
        )
        for n in range(count)
    )
    return list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P13 (docs/quality.md): outbox throughput.")
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args(argv)
    from tests.peers.smtp import free_port

    port = free_port()
    context = multiprocessing.get_context("spawn")
    ready, received = context.Event(), context.Queue()
    server = context.Process(target=smtp_server, args=(port, ready, received), daemon=True)
    server.start()
    ready.wait(10)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-p13-") as directory:
            scratch_database(
                directory,
                HUEY_IMMEDIATE="0",
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(port),
            )
            message_ids = queue(args.messages)
            analyze()
            from jobs.tasks import outbox_send_task

            started = time.perf_counter()
            for message_id in message_ids:
                outbox_send_task.call_local(message_id)
            elapsed = time.perf_counter() - started
            ids = [int(received.get(timeout=10)) for _ in message_ids]
    finally:
        server.terminate()
    rate = len(message_ids) / elapsed
    once = sorted(ids) == message_ids
    print(f"P13 {len(message_ids)} emails in {elapsed:.1f} s with one worker")
    print(
        f"P13 outbox to a local SMTP server >= {P13_MIN_PER_SECOND}/s: {rate:.0f}/s "
        f"{'pass' if rate >= P13_MIN_PER_SECOND else 'FAIL'}"
    )
    print(f"P13 each message received exactly once: {'pass' if once else 'FAIL'}")
    return 0 if rate >= P13_MIN_PER_SECOND and once else 1


if __name__ == "__main__":
    sys.exit(main())
