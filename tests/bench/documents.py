"""P6 (PDF) and P8 (Excel export) of docs/quality.md, on a scratch database of invoices.

    python -m tests.bench.documents [--runs 7]

P6: a one-page invoice (median ms); the per-page cost of a ~2-page and a ~20-page invoice and
their ratio. P8: the Excel export of 20,000 invoice lines (rows/s), its time over an openpyxl
write-only floor (the same rows already in memory, written plainly), and its query count at
2,000 vs 20,000 lines. Exits 1 when a figure misses its bar.
"""

import argparse
import io
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal

from tests.bench.databases import analyze, scratch_database
from tests.bench.measure import timed

P6_ONE_PAGE_MS = 60
P6_PAGE_MS = 100
P6_RATIO = 1.2
P8_ROWS = 20_000
P8_ROWS_PER_S = 5_000
P8_RATIO = 3


def seed(line_counts: list[int]) -> list:
    """One payer invoice per count, ten lines a client (as many clients as that takes, up to
    40); bulk inserts, no history."""
    from backoffice.accounts.models import User
    from backoffice.billing.models import Invoice, InvoiceLine, InvoiceStatus
    from backoffice.caseload.models import (
        Authorization,
        Client,
        ClientKind,
        Designation,
        Modality,
        Payer,
        PayerKind,
        ServiceKind,
        ServiceType,
        Therapist,
    )

    service = ServiceType.objects.create(
        code="individual-session",
        name="Individual session",
        name_fr="Séance individuelle",
        kind=ServiceKind.SESSION,
        modality=Modality.INDIVIDUAL,
        default_fee_amount=Decimal("160.00"),
    )
    payer = Payer.objects.create(
        name="Pacific Mutual",
        kind=PayerKind.INSURER,
        billing_email="claims@payer.example",
        billing_address="100 Example Street\nVancouver BC",
        vendor_number="VN-77123",
    )
    therapists = [
        Therapist.objects.create(
            user=User.objects.create(username=f"bench-therapist-{n}"),
            first_name=f"Amélie{n}",
            last_name=f"Côté{n}",
            email=f"t{n}@example.test",
            designation=Designation.RCC,
            registration_number=f"RCC-{n:05d}",
        )
        for n in range(20)
    ]
    clients = Client.objects.bulk_create(
        Client(
            kind=ClientKind.INDIRECT,
            first_name=f"Hélène{n}",
            last_name=f"Côté-Lévesque{n}",
            date_of_birth=date(1980, 1, 1) + timedelta(days=n),
            primary_therapist=therapists[n % len(therapists)],
        )
        for n in range(40)
    )
    authorizations = Authorization.objects.bulk_create(
        Authorization(
            client=client,
            payer=payer,
            reference_number=f"CLM-{n:06d}",
            sessions_approved=500,
            valid_from=date(2025, 1, 1),
            valid_until=date(2027, 1, 1),
        )
        for n, client in enumerate(clients)
    )
    invoices = []
    for n, count in enumerate(line_counts):
        invoice = Invoice.objects.create(
            payer=payer,
            bill_to_key=f"bench:{n}",
            number=f"INV-2026-{n + 1:05d}",
            status=InvoiceStatus.ISSUED,
            period_start=date(2026, 3, 1) + timedelta(days=n),
            period_end=date(2026, 3, 31),
            issued_on=date(2026, 4, 1),
            due_on=date(2026, 5, 1),
            subtotal_amount=Decimal("150.00") * count,
            total_amount=Decimal("150.00") * count,
        )
        InvoiceLine.objects.bulk_create(
            (
                InvoiceLine(
                    invoice=invoice,
                    client=clients[i // 10 % len(clients)],
                    therapist=clients[i // 10 % len(clients)].primary_therapist,
                    authorization=authorizations[i // 10 % len(clients)],
                    service_type=service,
                    service_date=date(2026, 3, 2) + timedelta(days=i % 28),
                    description="Individual session",
                    unit_amount=Decimal("150.00"),
                    total_amount=Decimal("150.00"),
                )
                for i in range(count)
            ),
            batch_size=2000,
        )
        invoices.append(invoice)
    return invoices


def pages(content: bytes) -> int:
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


def measure_p6(invoices, runs: int) -> list[tuple]:
    from backoffice.billing.models import Invoice
    from backoffice.billing.selectors import invoices_for_documents
    from backoffice.billing.services import invoice_pdf

    loaded = {
        i.pk: i
        for i in invoices_for_documents(Invoice.objects.filter(pk__in=[i.pk for i in invoices]))
    }
    one, two, twenty = (loaded[invoice.pk] for invoice in invoices)
    one_ms, content = timed(lambda: invoice_pdf(invoice=one), runs)
    rows = [("P6", "one-page invoice (ms)", one_ms, f"<= {P6_ONE_PAGE_MS}", pages(content) == 1
             and one_ms <= P6_ONE_PAGE_MS)]  # fmt: skip
    per_page = {}
    for label, invoice in (("2", two), ("20", twenty)):
        ms, content = timed(lambda invoice=invoice: invoice_pdf(invoice=invoice), max(3, runs // 2))
        count = pages(content)
        per_page[label] = ms / count
        rows.append(
            ("P6", f"ms per page, {count}-page invoice", per_page[label], f"<= {P6_PAGE_MS}",
             per_page[label] <= P6_PAGE_MS)
        )  # fmt: skip
    ratio = per_page["20"] / per_page["2"]
    rows.append(
        ("P6", "per-page cost 20-page / 2-page", ratio, f"<= {P6_RATIO}", ratio <= P6_RATIO)
    )
    return rows


def count_queries(function) -> tuple[int, object]:
    from django.db import connection

    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        result = function()
    return len(seen), result


def measure_p8(small_invoice, runs: int) -> list[tuple]:
    from openpyxl import Workbook

    from backoffice.billing.models import InvoiceLine
    from backoffice.billing.services.exports import invoice_lines_xlsx, line_rows

    everything = InvoiceLine.objects.all()
    lines = everything.count()
    export_ms, _ = timed(lambda: invoice_lines_xlsx(queryset=everything), runs, warmup=1)
    in_memory = list(line_rows(everything))

    def floor():
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in in_memory:
            sheet.append(row)
        workbook.save(io.BytesIO())

    floor_ms, _ = timed(floor, runs, warmup=1)
    few = InvoiceLine.objects.filter(invoice=small_invoice)
    queries_few, _ = count_queries(lambda: invoice_lines_xlsx(queryset=few))
    queries_all, _ = count_queries(lambda: invoice_lines_xlsx(queryset=everything))
    rate = lines / (export_ms / 1000)
    ratio = export_ms / floor_ms
    return [
        ("P8", f"Excel export of {lines:,} lines (rows/s)", rate, f">= {P8_ROWS_PER_S:,}",
         rate >= P8_ROWS_PER_S),
        ("P8", f"export {export_ms:.0f} ms / write-only floor {floor_ms:.0f} ms", ratio,
         f"<= {P8_RATIO}", ratio <= P8_RATIO),
        ("P8", f"queries: {few.count():,} lines vs {lines:,}", queries_all,
         f"constant ({queries_few})", queries_all == queries_few),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="P6 and P8 (docs/quality.md): PDFs and Excel exports."
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs a figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="caseload-bench-documents-") as directory:
        scratch_database(directory)
        # 3 lines: one page; 25 and 285 lines fill 2 and 20 pages (a half-empty last page would
        # flatter the short document); the rest reaches P8_ROWS.
        counts = [3, 25, 285]
        invoices = seed([*counts, P8_ROWS - sum(counts)])
        analyze()
        table = measure_p6(invoices[:3], args.runs) + measure_p8(invoices[1], args.runs)
    print("\nDocuments (P6 PDF, P8 Excel):")
    width = max(len(row[1]) for row in table)
    for bar_id, name, value, bar, passed in table:
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value}"
        print(
            f"{bar_id}  {name.ljust(width)}  {shown:>10}  {bar:<14}  {'pass' if passed else 'FAIL'}"
        )
    missed = [row for row in table if not row[4]]
    print(f"{len(missed)} of {len(table)} document figures miss their bar.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
