"""P7 (docs/quality.md): the finance import of 10,000 rows, on a scratch database.

    python -m tests.bench.finance_import [--runs 3] [--rows 10000]

The file: 40 payers' EFT remittances, one row per session line of 2,000 issued invoices (five
sessions each), all paid in full, so the import also writes the invoices' paid amounts and
10,000 sessions' `paid_at`, with history. Measured: rows/s of `payments_import` from the file's
bytes to the commit; its time over a `bulk_create` floor (one PaymentAllocation a file row
and the payments they hang on, built in memory and inserted plainly: the least work that
lands every row); its query count. Each run is rolled back, so every run sees unpaid books,
and on PostgreSQL vacuumed: as autovacuum leaves them, not strewn with the last run's dead rows.

Exits 1 when a figure misses its bar.
"""

import argparse
import gc
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, timedelta
from decimal import Decimal

from tests.bench.databases import analyze, scratch_database, vacuum

P7_ROWS = 10_000
P7_ROWS_PER_S = 5_000
P7_RATIO = 3
P7_MAX_QUERIES = 200
PAYERS = 40
SESSIONS_PER_INVOICE = 5
RECEIVED_ON = date(2026, 4, 20)


def seed(rows: int) -> bytes:
    """Books with `rows` unpaid sessions on issued invoices; the remittance file paying them."""
    import csv

    from django.utils import timezone

    from backoffice.accounts.models import User
    from backoffice.billing.models import Invoice, InvoiceLine, InvoiceStatus
    from backoffice.caseload.models import Client, ClientKind, Payer, ServiceType, Therapist
    from backoffice.scheduling.models import Appointment, Attendance

    service = ServiceType.objects.create(
        code="bench-session",
        name="Session",
        kind="session",
        modality="individual",
        default_fee_amount=Decimal("150.00"),
    )
    user = User.objects.create(username="bench-therapist")
    therapist = Therapist.objects.create(
        user=user, first_name="Hélène", last_name="Bench", email="bench@example.test"
    )
    client = Client.objects.create(
        kind=ClientKind.INDIRECT,
        first_name="Émile",
        last_name="Bench",
        date_of_birth=date(1980, 1, 1),
        primary_therapist=therapist,
    )
    payers = Payer.objects.bulk_create(
        Payer(name=f"Payer {n}", kind="insurer", billing_email=f"p{n}@x.test", billing_address="-")
        for n in range(PAYERS)
    )
    invoice_count = rows // SESSIONS_PER_INVOICE
    invoices = Invoice.objects.bulk_create(
        Invoice(
            number=f"INV-2026-{n + 1:05d}",
            status=InvoiceStatus.ISSUED,
            payer=payers[n % PAYERS],
            bill_to_key=f"bench:{n}",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            issued_on=date(2026, 4, 1),
            due_on=date(2026, 5, 1),
            subtotal_amount=Decimal("750.00"),
            total_amount=Decimal("750.00"),
        )
        for n in range(invoice_count)
    )
    # Hour after hour in UTC: wall-clock hours meet twice at the spring-forward (8 March),
    # and PostgreSQL refuses a therapist's overlapping sessions.
    start = timezone.make_aware(timezone.datetime(2026, 3, 2, 8)).astimezone(UTC)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            therapist=therapist,
            billing_client=client,
            service_type=service,
            attendance=Attendance.ONLINE,
            starts_at=start + timedelta(hours=n),
            ends_at=start + timedelta(hours=n, minutes=50),
            status="completed",
            fee_amount=Decimal("150.00"),
        )
        for n in range(invoice_count * SESSIONS_PER_INVOICE)
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoices[n // SESSIONS_PER_INVOICE],
            appointment=appointment,
            client=client,
            therapist=therapist,
            service_type=service,
            service_date=timezone.localdate(appointment.starts_at),
            description="Session",
            unit_amount=Decimal("150.00"),
            total_amount=Decimal("150.00"),
        )
        for n, appointment in enumerate(appointments)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["payer", "invoice_number", "amount", "received_on", "method", "reference"])
    for n in range(invoice_count * SESSIONS_PER_INVOICE):
        invoice = invoices[n // SESSIONS_PER_INVOICE]
        payer = payers[(n // SESSIONS_PER_INVOICE) % PAYERS]
        writer.writerow(
            [
                payer.name,
                invoice.number,
                "150.00",
                RECEIVED_ON.isoformat(),
                "EFT",
                f"EFT-{payer.pk}",
            ]
        )
    return out.getvalue().encode()


def rolled_back(function):
    """Run `function` in a transaction that is rolled back; (seconds, queries, result)."""
    from django.db import connection, transaction

    queries = 0
    vacuum()

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    gc.collect()
    with transaction.atomic():
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            result = function()
            seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, queries, result


def floor_insert(content: bytes) -> None:
    """The floor: the file's rows as PaymentAllocations on their payments, inserted plainly."""
    from backoffice.billing.models import Invoice, Payment, PaymentAllocation

    invoice_ids = dict(Invoice.objects.values_list("number", "id"))
    lines = content.decode().splitlines()[1:]
    payments = {}
    allocations = []
    for line in lines:
        _payer, number, amount, _day, _method, reference = line.split(",")
        if reference not in payments:
            payments[reference] = Payment(
                payer_id=int(reference.split("-")[1]),
                received_on=RECEIVED_ON,
                amount=Decimal("0.00"),
                method="eft",
                reference=reference,
            )
        payments[reference].amount += Decimal(amount)
        allocations.append(
            PaymentAllocation(
                payment=payments[reference], invoice_id=invoice_ids[number], amount=Decimal(amount)
            )
        )
    Payment.objects.bulk_create(payments.values(), batch_size=2000)
    for allocation in allocations:
        allocation.payment_id = allocation.payment.pk
    PaymentAllocation.objects.bulk_create(allocations, batch_size=2000)


def measure(rows: int, runs: int) -> dict:
    from backoffice.billing.services.imports import payments_import

    content = seed(rows)
    analyze()

    def import_file():
        # Five identical rows an invoice (one a session): staff confirm them on the preview.
        result = payments_import(
            name="remittance.csv", content=content, repeated_rows_confirmed=True
        )
        assert result.saved, result.problems[:5]
        return result

    import_times, floor_times, queries = [], [], set()
    result = None
    for _ in range(runs):  # alternate, so drift hits both alike
        seconds, counted, result = rolled_back(import_file)
        import_times.append(seconds)
        queries.add(counted)
        floor_times.append(rolled_back(lambda: floor_insert(content))[0])
    import_s, floor_s = statistics.median(import_times), statistics.median(floor_times)
    return {
        "rows": rows,
        "payments": result.payments_count,
        "allocations": result.allocations_count,
        "import_s": import_s,
        "floor_s": floor_s,
        "rows_per_s": rows / import_s,
        "ratio": import_s / floor_s,
        "queries": max(queries),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P7 (docs/quality.md): the finance import.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=P7_ROWS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="caseload-p7-") as directory:
        scratch_database(directory)
        figures = measure(args.rows, args.runs)
    checks = [
        ("rows/s", f"{figures['rows_per_s']:,.0f}", f">= {P7_ROWS_PER_S:,}",
         figures["rows_per_s"] >= P7_ROWS_PER_S),
        ("time / bulk_create floor", f"{figures['ratio']:.2f} ({figures['import_s'] * 1000:.0f} ms"
         f" / {figures['floor_s'] * 1000:.0f} ms)", f"<= {P7_RATIO}", figures["ratio"] <= P7_RATIO),
        ("queries", str(figures["queries"]), f"< {P7_MAX_QUERIES}",
         figures["queries"] < P7_MAX_QUERIES),
    ]  # fmt: skip
    print(
        f"\nP7 finance import: {figures['rows']:,} rows -> {figures['payments']} payments, "
        f"{figures['allocations']:,} allocations, {figures['rows']:,} sessions paid"
    )
    for name, value, bar, passed in checks:
        print(f"  {name:<26} {value:>32}  bar {bar:<8} {'pass' if passed else 'FAIL'}")
    return 0 if all(passed for *_rest, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
