"""P4 (docs/quality.md): the month invoice run, on a scratch database of sessions.

    python -m tests.bench.invoicing [--rounds 3]     (make bench BENCH_ARGS="--only P4")

Seeds (bulk inserts, no history) 40 payers with rates and a month of ~1,000 and a month of
~8,000 billable sessions, two thirds of them for indirect clients; half the direct clients'
sessions were paid at the session, so the run also puts that money on their lines. Each
round, inside transactions that are rolled back (so every run starts from the same fresh
state), times `invoices_generate` for each month and a raw-SQL floor writing the same rows:
one GROUP BY for the invoice totals and plain `executemany` inserts of the same invoices,
lines and their history rows. Prints P4 time ÷ floor (bar ≤ 3, on the 8k month) and the
run's query count for the 1k and 8k months (bar: identical); exits 1 when either misses.
"""

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.bench.databases import analyze, scratch_database

P4_RATIO = 3
SMALL_MONTH, LARGE_MONTH = date(2026, 3, 1), date(2026, 5, 1)
SESSIONS = {SMALL_MONTH: 1_000, LARGE_MONTH: 8_000}
PAYERS = 40


def seed() -> None:
    """40 payers (a few invoiced per client), 3,000 clients, the two months of sessions."""
    from django.utils import timezone

    from backoffice.accounts.models import User
    from backoffice.caseload.models import (
        Authorization,
        Client,
        Payer,
        PayerRate,
        ServiceType,
        Therapist,
    )
    from backoffice.scheduling.models import Appointment

    service = ServiceType.objects.create(
        code="session", name="Session", name_fr="Séance", kind="session", modality="individual",
        default_fee_amount=Decimal("160.00"),
    )  # fmt: skip
    users = User.objects.bulk_create(User(username=f"t{i}") for i in range(50))
    therapists = Therapist.objects.bulk_create(
        Therapist(user=user, first_name="T", last_name=f"T{i}", email=f"t{i}@example.test",
                  designation="psychologist", registration_number=f"R{i}")
        for i, user in enumerate(users)
    )  # fmt: skip
    payers = Payer.objects.bulk_create(
        Payer(name=f"Payer {i}", kind="insurer", billing_email=f"p{i}@example.test",
              billing_address="1 Example St", invoice_grouping="per-client" if i % 8 == 0
              else "per-period")
        for i in range(PAYERS)
    )  # fmt: skip
    PayerRate.objects.bulk_create(
        PayerRate(payer=payer, service_type=service, effective_from=date(2026, 1, 1), amount=150)
        for payer in payers
    )
    clients = Client.objects.bulk_create(
        Client(kind="indirect" if i % 3 else "direct", first_name="C", last_name=f"C{i}",
               date_of_birth=date(1980, 1, 1), primary_therapist=therapists[i % len(therapists)])
        for i in range(3_000)
    )  # fmt: skip
    authorizations = {
        a.client_id: a
        for a in Authorization.objects.bulk_create(
            Authorization(client=client, payer=payers[i % PAYERS], reference_number=f"A{i}",
                          sessions_approved=20, valid_from=date(2026, 1, 1),
                          valid_until=date(2026, 12, 31))
            for i, client in enumerate(clients) if client.kind == "indirect"
        )
    }  # fmt: skip
    appointments = []
    for month, count in SESSIONS.items():
        for i in range(count):
            client = clients[i % len(clients)]
            # The therapist's kth session of the month, one an hour from 8:00: never two at
            # once (PostgreSQL's exclusion constraint refuses them).
            k = i // len(therapists)
            starts_at = timezone.make_aware(
                datetime(month.year, month.month, 1 + k % 28, 8 + k // 28)
            )
            appointments.append(
                Appointment(
                    therapist=client.primary_therapist, billing_client=client,
                    service_type=service, attendance="online", starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=50), status="completed",
                    fee_amount=Decimal("160.00"), authorization=authorizations.get(client.pk),
                )
            )  # fmt: skip
    Appointment.objects.bulk_create(appointments, batch_size=2_000)
    pay_at_the_session([a for a in appointments if a.authorization_id is None][::2])


def pay_at_the_session(sessions) -> None:
    """Half the direct clients' sessions paid at the session (a card payment each, its money
    waiting on the session), so the run allocates them to their lines as it would live."""
    from django.utils import timezone

    from backoffice.billing.models import Payment, PaymentAllocation
    from backoffice.scheduling.models import Appointment

    payments = Payment.objects.bulk_create(
        (
            Payment(
                client_id=session.billing_client_id,
                received_on=timezone.localdate(session.starts_at),
                amount=session.fee_amount,
                allocated_amount=session.fee_amount,
                method="card",
            )
            for session in sessions
        ),
        batch_size=2_000,
    )
    PaymentAllocation.objects.bulk_create(
        (
            PaymentAllocation(payment=payment, appointment=session, amount=session.fee_amount)
            for payment, session in zip(payments, sessions, strict=True)
        ),
        batch_size=2_000,
    )
    for session in sessions:
        session.paid_at = session.starts_at
    Appointment.objects.bulk_update(sessions, ["paid_at"], batch_size=2_000)


class Rollback(Exception):
    pass


def timed_run(month: date) -> tuple[float, int, int]:
    """(seconds, queries, lines) of invoices_generate for a month, rolled back afterwards."""
    from django.db import connection, transaction

    from backoffice.billing.services import invoices_generate

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    gc.collect()  # each run starts from the same heap, as the list-page bench does
    try:
        with transaction.atomic(), connection.execute_wrapper(count):
            started = time.perf_counter()
            result = invoices_generate(month=month)
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, len(queries), result.lines_added_count


FLOOR_GROUPS = """
SELECT COALESCE('payer:' || au.payer_id, 'client:' || a.billing_client_id),
       au.payer_id, CASE WHEN au.payer_id IS NULL THEN a.billing_client_id END,
       SUM(a.fee_amount)
FROM scheduling_appointment a LEFT JOIN caseload_authorization au ON au.id = a.authorization_id
WHERE a.starts_at >= %s AND a.starts_at < %s AND a.status = 'completed'
GROUP BY 1, 2, 3
"""
FLOOR_LINES = """
SELECT a.id, COALESCE('payer:' || au.payer_id, 'client:' || a.billing_client_id),
       a.billing_client_id, a.therapist_id, a.authorization_id, a.service_type_id,
       date(a.starts_at), a.fee_amount
FROM scheduling_appointment a LEFT JOIN caseload_authorization au ON au.id = a.authorization_id
WHERE a.starts_at >= %s AND a.starts_at < %s AND a.status = 'completed'
"""
INVOICE_COLUMNS = (
    "kind, status, payer_id, client_id, bill_to_key, period_start, period_end, language, "
    "subtotal_amount, tax_amount, total_amount, paid_amount, notes, send_status, void_reason, "
    "created_at"
)
LINE_COLUMNS = (
    "invoice_id, appointment_id, client_id, therapist_id, authorization_id, service_type_id, "
    "service_date, description, unit_amount, tax_rate, tax_amount, total_amount, is_void"
)
HISTORY = ", history_date, history_type, history_change_reason"


def floor_run(month: date) -> float:
    """Seconds to write the same invoices, lines and history rows with plain SQL."""
    from django.db import connection, transaction
    from django.utils import timezone

    start = timezone.make_aware(datetime(month.year, month.month, 1))
    end = timezone.make_aware(datetime(month.year, month.month + 1, 1))
    last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    gc.collect()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            now = timezone.now()
            cursor.execute(FLOOR_GROUPS, [start, end])
            invoices = [
                ("invoice", "draft", payer, client, key, month, last, "en", total, 0, total, 0,
                 "", "not-sent", "", now)
                for key, payer, client, total in cursor.fetchall()
            ]  # fmt: skip
            marks = ", ".join(["%s"] * 16)
            cursor.executemany(
                f"INSERT INTO billing_invoice ({INVOICE_COLUMNS}) VALUES ({marks})", invoices
            )
            cursor.execute(
                "SELECT id, bill_to_key FROM billing_invoice WHERE period_start = %s", [month]
            )
            ids = {key: pk for pk, key in cursor.fetchall()}
            cursor.executemany(
                f"INSERT INTO billing_historicalinvoice (id, {INVOICE_COLUMNS}{HISTORY}) "
                f"VALUES (%s, {marks}, %s, '+', '')",
                [(ids[row[4]], *row, now) for row in invoices],
            )
            cursor.execute(FLOOR_LINES, [start, end])
            lines = [
                (ids[key], pk, client, therapist, authorization, service, day, "Session", fee,
                 0, 0, fee, False)
                for pk, key, client, therapist, authorization, service, day, fee
                in cursor.fetchall()
            ]  # fmt: skip
            marks = ", ".join(["%s"] * 13)
            cursor.executemany(
                f"INSERT INTO billing_invoiceline ({LINE_COLUMNS}) VALUES ({marks})", lines
            )
            cursor.execute(
                f"INSERT INTO billing_historicalinvoiceline (id, {LINE_COLUMNS}{HISTORY}) "
                f"SELECT id, {LINE_COLUMNS}, %s, '+', '' FROM billing_invoiceline",
                [now],
            )
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P4 (docs/quality.md): the month invoice run.")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-p4-") as directory:
        started = time.perf_counter()
        scratch_database(directory)
        seed()
        analyze()
        print(f"P4 scratch database seeded in {time.perf_counter() - started:.0f} s", flush=True)
        runs = {month: [] for month in SESSIONS}
        floors = {month: [] for month in SESSIONS}
        queries, lines = {}, {}
        for _round in range(args.rounds):
            for month in SESSIONS:
                seconds, queries[month], lines[month] = timed_run(month)
                runs[month].append(seconds)
                floors[month].append(floor_run(month))
    for month, count in SESSIONS.items():
        run_ms = statistics.median(runs[month]) * 1000
        floor_ms = statistics.median(floors[month]) * 1000
        print(
            f"P4 {count:>5} sessions: {lines[month]} lines, {queries[month]} queries, "
            f"run {run_ms:.0f} ms, floor {floor_ms:.0f} ms, ratio {run_ms / floor_ms:.2f}"
        )
    ratio = statistics.median(runs[LARGE_MONTH]) / statistics.median(floors[LARGE_MONTH])
    same = queries[SMALL_MONTH] == queries[LARGE_MONTH]
    print(f"P4 time ÷ floor ≤ {P4_RATIO}: {ratio:.2f} {'pass' if ratio <= P4_RATIO else 'FAIL'}")
    print(
        f"P4 queries 1k vs 8k identical: {queries[SMALL_MONTH]} vs {queries[LARGE_MONTH]} "
        f"{'pass' if same else 'FAIL'}"
    )
    return 0 if ratio <= P4_RATIO and same else 1


if __name__ == "__main__":
    sys.exit(main())
