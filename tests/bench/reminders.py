"""P12 (docs/quality.md): planning a day's reminders, on a scratch database.

    python -m tests.bench.reminders [--rounds 5]     (make bench BENCH_ARGS="--only P12")

Seeds 2,000 clients (half want email and SMS reminders and consented to both, a quarter email
only, a quarter none) and their therapists. Each round, inside transactions that are rolled
back (so every run plans from nothing), books a day of 200 and a day of 2,000 sessions (bulk
inserts, no signals) and times `reminders_plan` as the quarter-hourly job runs it, the next
days from three evenings before. Prints the 2,000-session day's median time (bar < 1 s) and the
planner's query count for both days (bar: identical); exits 1 when either misses.
"""

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.bench.databases import analyze, scratch_database

P12_MAX_SECONDS = 1.0
SIZES = (200, 2_000)
CLIENTS = 2_000
THERAPISTS = 200  # ten sessions each on the big day, one an hour: none overlap
DAY = date(2026, 6, 10)
# The run: three evenings before, so every session's email and SMS are ahead.
NOW = datetime(2026, 6, 7, 18, tzinfo=ZoneInfo("America/Vancouver"))


def seed() -> None:
    from backoffice.accounts.models import User
    from backoffice.caseload.models import (
        Client,
        ClientKind,
        ReminderChannel,
        ServiceType,
        Therapist,
    )

    ServiceType.objects.create(
        code="bench-session",
        name="Session",
        kind="session",
        modality="individual",
        default_fee_amount=Decimal("150.00"),
    )
    users = User.objects.bulk_create(User(username=f"t{n}") for n in range(THERAPISTS))
    therapists = Therapist.objects.bulk_create(
        Therapist(user=user, first_name="Hélène", last_name=f"T{n}", email=f"t{n}@x.test")
        for n, user in enumerate(users)
    )
    channels = [ReminderChannel.BOTH, ReminderChannel.BOTH, ReminderChannel.EMAIL, "none"]
    Client.objects.bulk_create(
        Client(
            kind=ClientKind.DIRECT,
            first_name="Émile",
            last_name=f"C{n}",
            date_of_birth=date(1980, 1, 1),
            email=f"c{n}@x.test",
            phone=f"604555{n:04d}",
            primary_therapist=therapists[n % THERAPISTS],
            reminder_channel=channels[n % 4],
            email_consent=channels[n % 4] != "none",
            sms_consent=channels[n % 4] == ReminderChannel.BOTH,
        )
        for n in range(CLIENTS)
    )


class Rollback(Exception):
    pass


def book_day(size: int) -> None:
    """`size` online sessions on DAY from 08:00, each therapist's back to back."""
    from django.utils import timezone

    from backoffice.caseload.models import Client, ServiceType
    from backoffice.scheduling.models import Appointment, Attendance

    service = ServiceType.objects.get()
    clients = list(Client.objects.order_by("pk")[:size])
    start = timezone.make_aware(datetime.combine(DAY, datetime.min.time())) + timedelta(hours=8)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            therapist_id=client.primary_therapist_id,
            billing_client=client,
            service_type=service,
            attendance=Attendance.ONLINE,
            starts_at=start + timedelta(hours=n // THERAPISTS),
            ends_at=start + timedelta(hours=n // THERAPISTS, minutes=50),
            fee_amount=Decimal("150.00"),
        )
        for n, client in enumerate(clients)
    )
    Appointment.clients.through.objects.bulk_create(
        Appointment.clients.through(appointment_id=a.pk, client_id=a.billing_client_id)
        for a in appointments
    )


def timed_run(size: int) -> tuple[float, int, int]:
    """(seconds, queries, reminders) of one planning run of a day of `size` sessions."""
    from django.db import connection, transaction

    from backoffice.reminders.models import Reminder
    from backoffice.reminders.services import reminders_plan

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    try:
        with transaction.atomic():
            book_day(size)
            gc.collect()
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                reminders_plan(now=NOW)
                elapsed = time.perf_counter() - started
            planned = Reminder.objects.count()
            raise Rollback
    except Rollback:
        pass
    return elapsed, len(queries), planned


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P12 (docs/quality.md): a day's reminders.")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-p12-") as directory:
        started = time.perf_counter()
        scratch_database(directory)
        seed()
        analyze()
        print(f"P12 scratch database seeded in {time.perf_counter() - started:.0f} s", flush=True)
        times = {size: [] for size in SIZES}
        queries, reminders = {}, {}
        for _round in range(args.rounds):
            for size in SIZES:
                seconds, queries[size], reminders[size] = timed_run(size)
                times[size].append(seconds)
    for size in SIZES:
        print(
            f"P12 {size:>5} sessions: {reminders[size]} reminders, {queries[size]} queries, "
            f"{statistics.median(times[size]) * 1000:.0f} ms"
        )
    large = statistics.median(times[SIZES[-1]])
    fast = large < P12_MAX_SECONDS
    same = queries[SIZES[0]] == queries[SIZES[-1]]
    print(f"P12 a day of 2,000 sessions < {P12_MAX_SECONDS:.0f} s: {large:.2f} s "
          f"{'pass' if fast else 'FAIL'}")  # fmt: skip
    print(
        f"P12 queries 200 vs 2,000 identical: {queries[SIZES[0]]} vs {queries[SIZES[-1]]} "
        f"{'pass' if same else 'FAIL'}"
    )
    return 0 if fast and same else 1


if __name__ == "__main__":
    sys.exit(main())
