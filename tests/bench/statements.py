"""P5 (the month statement run) and P6 for statements (PDF cost per page), docs/quality.md,
on a scratch database.

    python -m tests.bench.statements [--rounds 5] [--runs 5] [--only P5|P6]
    make bench BENCH_ARGS="--only P5"         (P5 alone; "--only statements" for both)

P5 seeds (bulk inserts, no history) 200 therapists with rates (some raised in April, some
with a rate of their own for couples sessions), 10 clients each, and six months of ~8,000
sessions: most paid within their month, some paid the month after, some never paid, a few
paid no-shows and cancellations. January to May are run by `statements_generate` and marked
sent, so June's run meets five months of paid-out lines and held sessions, as it would in
production. Each round, inside transactions that are rolled back (every run starts from the
same state), times June's run and a raw-SQL floor doing the same work: one SELECT of the same
candidate sessions (and one of the rates), then plain `executemany` inserts of the same
statements and lines and set-wise inserts of their history rows. Prints time ÷ floor (bar
≤ 3), and the run's query count when it covers 50 therapists (the others' sessions cancelled
in the rolled-back transaction) and all 200, first run and run again over its drafts (bar:
identical).

P6 renders a ~2-page and a ~20-page statement (paid and held lines, full last pages) and
prints the milliseconds per page (pages counted with pypdf; bar ≤ 100) and the 20-page ÷
2-page per-page cost (bar ≤ 1.2), in the table style of tests/bench/documents.py.

Exits 1 when a figure misses its bar.
"""

import argparse
import gc
import io
import statistics
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from tests.bench.databases import analyze, scratch_database
from tests.bench.measure import timed

P5_RATIO = 3
P6_PAGE_MS = 100
P6_RATIO = 1.2
THERAPISTS = 200
FEW_THERAPISTS = 50
CLIENTS_EACH = 10
SESSIONS_A_MONTH = 8_000
HISTORY = [date(2026, month, 1) for month in range(1, 6)]  # January (go-live) to May
MONTH = date(2026, 6, 1)  # the timed run
# Lines of the ~2-page and ~20-page statements (paid, held): each fills its last page.
P6_LINES = {"2": (66, 7), "20": (870, 96)}
P6_MONTH = date(2026, 12, 1)


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _seed_people(count: int, prefix: str):
    """`count` therapists with their rates and CLIENTS_EACH clients each; bulk, no history."""
    from backoffice.accounts.models import User
    from backoffice.caseload.models import Client, ServiceType, Therapist, TherapistRate

    services = {
        code: ServiceType.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_fr": name_fr, "kind": "session",
                      "modality": modality, "default_fee_amount": Decimal("160.00")},
        )[0]
        for code, name, name_fr, modality in (
            ("individual-session", "Individual session", "Séance individuelle", "individual"),
            ("couples-session", "Couples session", "Séance de couple", "couple"),
        )
    }  # fmt: skip
    users = User.objects.bulk_create(User(username=f"{prefix}{i}") for i in range(count))
    therapists = Therapist.objects.bulk_create(
        Therapist(user=user, first_name="Amélie", last_name=f"Côté{prefix}{i}",
                  email=f"{prefix}{i}@example.test", designation="rcc",
                  registration_number=f"RCC-{prefix}{i}")
        for i, user in enumerate(users)
    )  # fmt: skip
    rates = []
    for i, therapist in enumerate(therapists):
        price = Decimal(100 + 10 * (i % 5))
        kind, value = ("flat", Decimal("25.00")) if i % 3 == 0 else ("percent", Decimal("30.00"))
        rates.append(TherapistRate(therapist=therapist, effective_from=date(2025, 1, 1),
                                   session_price_amount=price, service_fee_kind=kind,
                                   service_fee_value=value))  # fmt: skip
        if i % 4 == 0:  # a raise in April
            rates.append(TherapistRate(therapist=therapist, effective_from=date(2026, 4, 1),
                                       session_price_amount=price + 10, service_fee_kind=kind,
                                       service_fee_value=value))  # fmt: skip
        if i % 10 == 0:  # a rate of their own for couples sessions
            rates.append(TherapistRate(therapist=therapist, effective_from=date(2025, 6, 1),
                                       service_type=services["couples-session"],
                                       session_price_amount=price + 40, service_fee_kind=kind,
                                       service_fee_value=value))  # fmt: skip
    TherapistRate.objects.bulk_create(rates)
    clients = Client.objects.bulk_create(
        Client(kind="direct", first_name="Hélène", last_name=f"Lévesque{prefix}{i}",
               date_of_birth=date(1980, 1, 1), primary_therapist=therapists[i % count])
        for i in range(count * CLIENTS_EACH)
    )  # fmt: skip
    return services, therapists, clients


def _appointments(month: date, count: int, services, therapists, clients) -> list:
    """A month of sessions, the same number for each therapist: 85 % paid within the month,
    8 % the month after, the rest never; one in 40 a no-show with a fee, one in 40 cancelled
    (never on a statement); one in 7 a couples session."""
    from django.utils import timezone

    from backoffice.scheduling.models import Appointment

    last = _month_end(month)
    made = []
    for i in range(count):
        t, k = i % len(therapists), i // len(therapists)  # the therapist, their kth session
        client = clients[t + len(therapists) * (k % CLIENTS_EACH)]
        day = date(month.year, month.month, 1 + k % last.day)
        starts_at = timezone.make_aware(datetime.combine(day, time(8 + k // last.day)))
        share = (k * 37 + t * 11) % 100
        paid_on = None
        if share < 85:
            paid_on = min(last, day + timedelta(days=5))
        elif share < 93:
            paid_on = last + timedelta(days=10)
        status, fee = "completed", None
        if k % 40 == 7:
            status, fee = "no-show", Decimal("80.00")
        elif k % 40 == 9:
            status = "cancelled"
        made.append(
            Appointment(
                therapist=therapists[t], billing_client=client,
                service_type=services["couples-session" if i % 7 == 0 else "individual-session"],
                attendance="online", starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=50), status=status,
                fee_amount=Decimal("160.00"), missed_session_fee_amount=fee,
                paid_at=timezone.make_aware(datetime.combine(paid_on, time(9)))
                if paid_on else None,
            )
        )  # fmt: skip
    return made


def seed_p5() -> list[int]:
    """The therapists, six months of sessions, January to May run and sent; the therapist ids."""
    from backoffice.payouts.models import Statement
    from backoffice.payouts.services import statements_generate
    from backoffice.scheduling.models import Appointment

    services, therapists, clients = _seed_people(THERAPISTS, "t")
    appointments = []
    for month in [*HISTORY, MONTH]:
        appointments += _appointments(month, SESSIONS_A_MONTH, services, therapists, clients)
    Appointment.objects.bulk_create(appointments, batch_size=2_000)
    for month in HISTORY:
        statements_generate(month=month)
        Statement.objects.filter(period_start=month).update(
            status="sent", sent_on=month + timedelta(days=35)
        )
    return [therapist.pk for therapist in therapists]


class Rollback(Exception):
    pass


def timed_run(*, only: list[int] | None = None, rerun: bool = False) -> tuple[float, int, object]:
    """(seconds, queries, run) of June's statements_generate, rolled back afterwards. With
    `only`, the other therapists' sessions are cancelled first; with `rerun`, the run measured
    is the second, which regenerates the first one's drafts (both in the same transaction)."""
    from django.db import connection, transaction

    from backoffice.payouts.services import statements_generate
    from backoffice.scheduling.models import Appointment

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    try:
        with transaction.atomic():
            if only is not None:
                Appointment.objects.exclude(therapist_id__in=only).update(status="cancelled")
            if rerun:
                statements_generate(month=MONTH)
            gc.collect()
            with connection.execute_wrapper(count):
                started = clock.perf_counter()
                run = statements_generate(month=MONTH)
                elapsed = clock.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, len(queries), run


FLOOR_SESSIONS = """
SELECT a.id, a.therapist_id, a.billing_client_id, a.service_type_id, date(a.starts_at),
       a.status, a.missed_session_fee_amount, date(a.paid_at),
       a.paid_at IS NOT NULL AND a.paid_at < %(end)s
FROM scheduling_appointment a
WHERE a.starts_at >= %(since)s AND a.starts_at < %(end)s
  AND (a.status = 'completed'
       OR (a.status IN ('late-cancelled', 'no-show') AND a.missed_session_fee_amount IS NOT NULL
           AND a.paid_at IS NOT NULL AND a.paid_at < %(end)s))
  AND NOT EXISTS (SELECT 1 FROM payouts_statementline l
                  WHERE l.appointment_id = a.id AND l.kind = 'paid')
ORDER BY a.therapist_id, a.starts_at, a.id
"""
FLOOR_RATES = """
SELECT therapist_id, id, session_price_amount, service_fee_kind, service_fee_value
FROM caseload_therapistrate WHERE service_type_id IS NULL ORDER BY effective_from
"""
STATEMENT_COLUMNS = (
    "therapist_id, period_start, period_end, status, gross_amount, service_fee_amount, "
    "net_amount, paid_count, held_count, held_amount, send_status, payout_reference, "
    "created_at, generated_at"
)
HISTORY_COLUMNS = ", history_date, history_change_reason, history_type"


def floor_run() -> tuple[float, int, int]:
    """(seconds, statements, lines) to select the same sessions and write the same statements,
    lines and history rows with plain SQL (one rate a therapist: no rate lookup)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from backoffice.payouts.services.month_run import LINE_COLUMNS

    ops = connection.ops
    last = _month_end(MONTH)
    bounds = {
        "since": ops.adapt_datetimefield_value(timezone.make_aware(datetime(2026, 1, 1))),
        "end": ops.adapt_datetimefield_value(
            timezone.make_aware(datetime.combine(last + timedelta(days=1), datetime.min.time()))
        ),
    }
    line_columns = ", ".join(LINE_COLUMNS)
    gc.collect()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            started = clock.perf_counter()
            now = ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(FLOOR_RATES)
            rates = {}
            for therapist_id, pk, price, kind, value in cursor.fetchall():
                price, value = Decimal(str(price)), Decimal(str(value))
                fee = value if kind == "flat" else (price * value / 100).quantize(Decimal("0.01"))
                rates[therapist_id] = (pk, price, fee, price - fee)
            cursor.execute(FLOOR_SESSIONS, bounds)
            lines, totals = [], {}
            for row in cursor.fetchall():
                pk, therapist, client, service, day, status, _missed, paid_on, paid = row
                rate, price, fee, net = rates[therapist]
                kind = "paid" if paid else "held"
                lines.append([therapist, kind, pk, client, service, rate, day, status,
                              paid_on if paid else None, price, fee, net])  # fmt: skip
                total = totals.setdefault(therapist, [Decimal(0), Decimal(0), 0, 0, Decimal(0)])
                if paid:
                    total[0] += price
                    total[1] += fee
                    total[2] += 1
                else:
                    total[3] += 1
                    total[4] += price
            cursor.executemany(
                f"INSERT INTO payouts_statement ({STATEMENT_COLUMNS}) "
                f"VALUES ({', '.join(['%s'] * 14)})",
                [
                    (therapist, MONTH, last, "draft", gross, fees, gross - fees, paid, held,
                     held_amount, "not-sent", "", now, now)
                    for therapist, (gross, fees, paid, held, held_amount) in totals.items()
                ],
            )  # fmt: skip
            cursor.execute(
                f"INSERT INTO payouts_historicalstatement (id, {STATEMENT_COLUMNS}"
                f"{HISTORY_COLUMNS}) SELECT id, {STATEMENT_COLUMNS}, %s, '', '+' "
                "FROM payouts_statement WHERE period_start = %s",
                [now, MONTH],
            )
            cursor.execute(
                "SELECT therapist_id, id FROM payouts_statement WHERE period_start = %s", [MONTH]
            )
            ids = dict(cursor.fetchall())
            for line in lines:
                line[0] = ids[line[0]]
            cursor.executemany(
                f"INSERT INTO payouts_statementline ({line_columns}) "
                f"VALUES ({', '.join(['%s'] * len(LINE_COLUMNS))})",
                lines,
            )
            cursor.execute(
                f"INSERT INTO payouts_historicalstatementline (id, {line_columns}"
                f"{HISTORY_COLUMNS}) SELECT id, {line_columns}, %s, '', '+' "
                "FROM payouts_statementline WHERE statement_id IN "
                "(SELECT id FROM payouts_statement WHERE period_start = %s)",
                [now, MONTH],
            )
            elapsed = clock.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, len(ids), len(lines)


def measure_p5(therapist_ids: list[int], rounds: int) -> list[tuple]:
    runs, floors = [], []
    for _round in range(rounds):
        seconds, queries_all, run = timed_run()
        runs.append(seconds)
        floor_seconds, floor_statements, floor_lines = floor_run()
        floors.append(floor_seconds)
    few_ids = therapist_ids[:FEW_THERAPISTS]
    _seconds, queries_few, few = timed_run(only=few_ids)
    _seconds, requeries_all, rerun = timed_run(rerun=True)
    _seconds, requeries_few, refew = timed_run(only=few_ids, rerun=True)
    run_ms, floor_ms = statistics.median(runs) * 1000, statistics.median(floors) * 1000
    ratio = run_ms / floor_ms
    lines = run.paid_lines + run.held_lines
    same_rows = (floor_statements, floor_lines) == (run.created, lines)
    return [
        ("P5", f"month run: {run.created} statements, {run.paid_lines:,} paid + "
               f"{run.held_lines:,} held lines", lines, "floor: same", same_rows),
        ("P5", f"run {run_ms:.0f} ms / raw-SQL floor {floor_ms:.0f} ms", ratio,
         f"<= {P5_RATIO}", ratio <= P5_RATIO and not run.problems),
        ("P5", f"queries: {few.created} therapists vs {run.created}", queries_all,
         f"same ({queries_few})", queries_all == queries_few and few.created < run.created),
        ("P5", f"queries, run again: {refew.regenerated} drafts vs {rerun.regenerated}",
         requeries_all, f"same ({requeries_few})",
         requeries_all == requeries_few and refew.regenerated < rerun.regenerated),
    ]  # fmt: skip


def seed_p6() -> dict[str, int]:
    """A December statement per size, for a therapist of its own; bulk, no history."""
    from django.utils import timezone

    from backoffice.caseload.models import TherapistRate
    from backoffice.payouts.models import Statement, StatementLine
    from backoffice.scheduling.models import Appointment

    services, therapists, clients = _seed_people(len(P6_LINES), "p6-")
    last = _month_end(P6_MONTH)
    statements = {}
    for (label, (paid, held)), therapist in zip(P6_LINES.items(), therapists, strict=True):
        rate = TherapistRate.objects.filter(therapist=therapist, service_type=None).first()
        mine = [client for client in clients if client.primary_therapist_id == therapist.pk]
        # One after the other, round the clock: 966 sessions are more than a month of
        # working days holds, and PostgreSQL refuses a therapist's overlapping sessions.
        first = timezone.make_aware(datetime(2026, 12, 1))
        starts = [first + timedelta(minutes=40 * i) for i in range(paid + held)]
        appointments = Appointment.objects.bulk_create(
            Appointment(
                therapist=therapist, billing_client=mine[i % len(mine)],
                service_type=services["individual-session"], attendance="online",
                starts_at=starts_at, ends_at=starts_at + timedelta(minutes=40),
                status="no-show" if i % 25 == 3 else "completed", fee_amount=Decimal("160.00"),
            )
            for i, starts_at in enumerate(starts)
        )  # fmt: skip
        price, fee = rate.session_price_amount, rate.service_fee_amount()
        statement = Statement.objects.create(
            therapist=therapist, period_start=P6_MONTH, period_end=last,
            gross_amount=price * paid, service_fee_amount=fee * paid,
            net_amount=(price - fee) * paid, paid_count=paid, held_count=held,
            held_amount=price * held, generated_at=timezone.now(),
        )  # fmt: skip
        StatementLine.objects.bulk_create(
            StatementLine(
                statement=statement, kind="paid" if i < paid else "held",
                appointment=appointment, client=appointment.billing_client,
                service_type=appointment.service_type, rate=rate,
                service_date=timezone.localdate(appointment.starts_at),
                appointment_status=appointment.status,
                paid_on=last if i < paid else None, price_amount=price,
                service_fee_amount=fee, net_amount=price - fee,
            )
            for i, appointment in enumerate(appointments)
        )  # fmt: skip
        statements[label] = statement.pk
    return statements


def pages(content: bytes) -> int:
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


def measure_p6(statement_ids: dict[str, int], runs: int) -> list[tuple]:
    from backoffice.payouts.models import Statement
    from backoffice.payouts.selectors import statements_for_documents
    from backoffice.payouts.services.pdf import statement_pdf

    loaded = statements_for_documents(Statement.objects.filter(pk__in=statement_ids.values()))
    by_pk = {statement.pk: statement for statement in loaded}
    rows, per_page = [], {}
    for label, pk in statement_ids.items():
        statement = by_pk[pk]
        ms, content = timed(lambda statement=statement: statement_pdf(statement=statement), runs)
        count = pages(content)
        per_page[label] = ms / count
        rows.append(
            ("P6", f"ms per page, {count}-page statement", per_page[label], f"<= {P6_PAGE_MS}",
             per_page[label] <= P6_PAGE_MS)
        )  # fmt: skip
    ratio = per_page["20"] / per_page["2"]
    rows.append(
        ("P6", "statement per-page cost 20-page / 2-page", ratio, f"<= {P6_RATIO}",
         ratio <= P6_RATIO)
    )  # fmt: skip
    return rows


def print_table(table: list[tuple]) -> None:
    """The rows as tests/bench/documents.py prints them."""
    print("\nStatements (P5 month run, P6 PDF):")
    width = max(len(row[1]) for row in table)
    for bar_id, name, value, bar, passed in table:
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        print(
            f"{bar_id}  {name.ljust(width)}  {shown:>10}  {bar:<14}  {'pass' if passed else 'FAIL'}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="P5 and P6 (docs/quality.md) for therapist statements."
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed month runs (P5)")
    parser.add_argument("--runs", type=int, default=5, help="timed renders a statement (P6)")
    parser.add_argument("--only", default="", choices=["", "P5", "P6"], help="one bar only")
    args = parser.parse_args(argv)
    table = []
    with tempfile.TemporaryDirectory(prefix="caseload-bench-statements-") as directory:
        scratch_database(directory)
        if args.only != "P6":
            started = clock.perf_counter()
            therapist_ids = seed_p5()
            analyze()
            print(
                f"P5 scratch database seeded in {clock.perf_counter() - started:.0f} s", flush=True
            )
            table += measure_p5(therapist_ids, args.rounds)
        if args.only != "P5":
            table += measure_p6(seed_p6(), args.runs)
    print_table(table)
    missed = [row for row in table if not row[4]]
    print(f"{len(missed)} of {len(table)} statement figures miss their bar.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
