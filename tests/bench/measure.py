"""Measure every page on one bench database; prints JSON (run by tests.bench).

    CASELOAD_VAR_DIR=var/bench/5k DEBUG=0 python -m tests.bench.measure \
        --context '{"therapist": "110", "payer_month": "2 2026-04", "last_name": "Smith"}'

For each page: the SQL of every request (counted with connection.execute_wrapper), the
wall time of `runs` requests after `warmup` ones, and the queries that COUNT or SELECT
DISTINCT over a big table (P3, docs/quality.md).
"""

import argparse
import gc
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import time_machine

from tests.bench.databases import BENCH_PERIOD, BENCH_TODAY

BIG_TABLE_ROWS = 100_000
# Pages that show "today" (the portal's alerts, schedule and rooms) see the day the databases
# were seeded for, whatever the day the bench runs.
BENCH_CLOCK = datetime.combine(
    date.fromisoformat(BENCH_TODAY), clock_time(12), ZoneInfo("America/Vancouver")
)
COUNTING = re.compile(r"\bCOUNT\s*\(|\bSELECT\s+DISTINCT\b", re.IGNORECASE)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    import django

    django.setup()


def big_tables() -> list[str]:
    """Appointments, their clients and both history tables, plus any table over 100k rows."""
    from django.apps import apps
    from django.db import connection

    from backoffice.scheduling.models import Appointment

    tables = {
        Appointment._meta.db_table,
        Appointment.clients.through._meta.db_table,
        Appointment.history.model._meta.db_table,
        apps.get_model("scheduling", "HistoricalAppointment_clients")._meta.db_table,
    }
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            if cursor.fetchone()[0] > BIG_TABLE_ROWS:
                tables.add(table)
    return sorted(tables)


# A subquery that compares with a column of the outer row: Django renders it `= ("t"."c")`.
OUTER_ROW = re.compile(r'=\s*\(\s*(?:"[^"]+"|\w+)\."[^"]+"\s*\)')


def counts_big_table(sql: str, tables: list[str]) -> bool:
    """A COUNT or SELECT DISTINCT in a statement that reads a big table, unless it sits in a
    subquery correlated to the outer row (bounded by an index to one row's children)."""
    if not any(f'"{table}"' in sql for table in tables):
        return False
    return any(not _in_correlated_subquery(sql, match.start()) for match in COUNTING.finditer(sql))


def _in_correlated_subquery(sql: str, position: int) -> bool:
    depth = 0
    for i in range(position - 1, -1, -1):
        if sql[i] == ")":
            depth += 1
        elif sql[i] == "(" and depth:
            depth -= 1
        elif sql[i] == "(" and sql[i + 1 :].lstrip().upper().startswith("SELECT"):
            return bool(OUTER_ROW.search(sql[i : _closing(sql, i) + 1]))
    return False


def _closing(sql: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[i], 0)
        if depth == 0:
            return i
    return len(sql) - 1


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def bench_period() -> tuple[date, date]:
    first, last = BENCH_PERIOD
    return date.fromisoformat(first), date.fromisoformat(last)


def candidates() -> dict[str, dict[str, int]]:
    """Rows each candidate context value would list; the parent picks values that fill a
    page at both scales, so both scales render the same number of rows."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from backoffice.caseload.models import Authorization, Client
    from backoffice.scheduling.models import Appointment

    first, last = bench_period()
    in_month = Appointment.objects.filter(starts_at__date__range=(first, last))
    therapists = in_month.values_list("therapist").annotate(n=Count("id"))
    expiring = (
        Authorization.objects.annotate(month=TruncMonth("valid_until"))
        .values_list("payer", "month")
        .annotate(n=Count("id"))
    )
    clients = Client.objects.values_list("last_name").annotate(n=Count("id"))
    billed = Appointment.objects.values_list("billing_client__last_name").annotate(n=Count("id"))
    billed = dict(billed)
    return {
        "therapist": {str(therapist): n for therapist, n in therapists},
        "payer_month": {f"{payer} {month:%Y-%m}": n for payer, month, n in expiring},
        # Enough clients for the client search, and their appointments for that search.
        "last_name": {name: min(n, billed.get(name, 0)) for name, n in clients},
    }


def bench_context(chosen: dict[str, str]) -> dict:
    """Every value page parameters may name, from the values chosen by the parent."""
    from backoffice.caseload.models import Client, Therapist

    therapist = int(chosen["therapist"])
    payer, expiry_month = chosen["payer_month"].split()
    month_first, month_last = bench_period()
    expiry_first, expiry_last = month_of(date.fromisoformat(f"{expiry_month}-01"))
    return {
        "therapist": therapist,
        "therapist_user": Therapist.objects.get(pk=therapist).user_id,
        "client": Client.objects.filter(primary_therapist=therapist).order_by("pk")[0].pk,
        "payer": int(payer),
        "last_name": chosen["last_name"],
        "month_first": month_first.isoformat(),
        "month_last": month_last.isoformat(),
        "expiry_month_first": expiry_first.isoformat(),
        "expiry_month_last": expiry_last.isoformat(),
    }


def measure(pages, *, runs: int, warmup: int, chosen: dict[str, str]) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from backoffice.accounts.models import Role
    from tests.accounts.codes import force_login_verified

    User = get_user_model()
    superuser = User.objects.filter(username="bench-superuser").first()
    if superuser is None:
        superuser = User.objects.create_superuser("bench-superuser", "bench@caseload.example")
    # In the administrator role, as the demo's admin: the home page lists that team's tasks.
    superuser.groups.add(*Group.objects.filter(name=Role.ADMIN))
    tables = big_tables()
    context = bench_context(chosen)
    browsers = {"superuser": Client(), "therapist": Client()}
    force_login_verified(browsers["superuser"], superuser)
    force_login_verified(browsers["therapist"], User.objects.get(pk=context["therapist_user"]))

    results = {}
    for page in pages:
        url = reverse(page.url, args=[arg.format(**context) for arg in page.args])
        params = {key: value.format(**context) for key, value in page.params.items()}
        browser = browsers[page.user]
        times, counts, statements = [], [], {}
        for run in range(warmup + runs):
            captured = []

            def capture(execute, sql, params_, many, context_, captured=captured):
                captured.append(sql)
                return execute(sql, params_, many, context_)

            gc.collect()
            with connection.execute_wrapper(capture):
                started = time.perf_counter()
                response = browser.get(url, params)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{page.name}: HTTP {response.status_code} for {url} {params}")
            shown = response.content.count(b'name="_selected_action"')
            if run >= warmup:
                times.append(elapsed * 1000)
                counts.append(len(captured))
                for sql in captured:
                    statements[sql] = statements.get(sql, 0) + 1
        results[page.name] = {
            "url": url,
            "params": params,
            "times_ms": times,
            "median_ms": statistics.median(times),
            # The usual count: the session's idle refresh adds a write at most once a minute.
            "queries": Counter(counts).most_common(1)[0][0],
            "queries_seen": sorted(set(counts)),
            "rows": shown,
            "sql": list(statements),
            "big_counts": [sql for sql in statements if counts_big_table(sql, tables)],
        }
    return {"context": context, "big_tables": tables, "pages": results}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", default="", help="measure only pages whose name has this")
    parser.add_argument("--candidates", action="store_true", help="print candidate values")
    parser.add_argument("--context", type=json.loads, help="the chosen values, as JSON")
    args = parser.parse_args(argv)
    setup_django()
    if args.candidates:
        json.dump(candidates(), sys.stdout)
        return
    from tests.bench.pages import PAGES

    pages = [page for page in PAGES if args.only.lower() in page.name.lower()]
    with time_machine.travel(BENCH_CLOCK, tick=True):
        result = measure(pages, runs=args.runs, warmup=args.warmup, chosen=args.context)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()


def timed(function, runs: int, warmup: int = 2) -> tuple[float, object]:
    """(median milliseconds of `runs` calls after `warmup`, the last result); each call starts
    from a collected heap, so a full garbage collection owed to earlier work never lands in
    one call's time and not another's."""
    for _ in range(warmup):
        result = function()
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result
