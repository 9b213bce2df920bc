"""`make bench` (python -m tests.bench): P1-P3 and P9 (docs/quality.md) for every page in
pages.py, then P10 (the worklist sweep) on the same databases.

Builds or reuses the 5k and 500k databases, measures each in its own process, alternating
the scales over several rounds (these machines are noisy), and prints one row per bar and
page. Exits 1 when any figure misses its bar.

    make bench BENCH_ARGS="--rounds 5 --only appointments --sql"

Then P10 (sweep.py): the worklist sweep on the same two databases; `--only P10` (or `--only
sweep`) runs it alone. Then, each in a process and scratch database of its own: P6/P8
(documents.py), P5 and the statement P6 rows (statements.py), P4 (invoicing.py), P7
(finance_import.py), P12 (reminders.py), P13 (outbox.py). Last, P11 and P14 (load.py): staff and
therapists under load, through nginx to gunicorn on PostgreSQL.
`--only P4` (or `--only invoicing`), `--only P5`, `--only P7` or `--only statements` (P5 and
the statement P6 rows), `--only P11` (or `--only P14`, `--only load`), `--only P12` (or
`--only reminders`), `--only P13` (or `--only outbox`) runs that one alone; any other `--only`
measures the pages whose name contains it and nothing else.

On SQLite by default; with DATABASE_URL set to a postgres:// URL, every figure runs on that
PostgreSQL server (databases.py names the databases), with the same bars.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import NamedTuple

from tests.bench.databases import (
    BASE_DIR,
    ENGINE,
    SCALES,
    database_label,
    ensure_database,
    scale_env,
)
from tests.bench.pages import PAGES

MAX_RATIO = 1.3  # P2, P9
SMALL, LARGE = SCALES


def run_measure(scale, *arguments: str) -> dict:
    command = [sys.executable, "-m", "tests.bench.measure", *arguments]
    done = subprocess.run(
        command, cwd=BASE_DIR, env=scale_env(scale), check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout)


def choose_context() -> dict[str, str]:
    """For each context key, the value listing most rows at the scale where it lists fewest."""
    small, large = (run_measure(scale, "--candidates") for scale in SCALES)
    chosen = {}
    for key, at_small in small.items():
        at_large = large[key]
        chosen[key] = max(
            sorted(at_small), key=lambda value: min(at_small[value], at_large.get(value, 0))
        )
    return chosen


def combine(rounds: list[dict]) -> dict:
    """One result per page from several rounds: all times pooled, the usual query count."""
    combined = {**rounds[0], "pages": {}}
    for name, first in rounds[0]["pages"].items():
        pages = [r["pages"][name] for r in rounds]
        times = [t for page in pages for t in page["times_ms"]]
        combined["pages"][name] = {
            **first,
            "times_ms": times,
            "median_ms": statistics.median(times),
            "queries": Counter(page["queries"] for page in pages).most_common(1)[0][0],
            "queries_seen": sorted({q for page in pages for q in page["queries_seen"]}),
            "big_counts": sorted({sql for page in pages for sql in page["big_counts"]}),
        }
    return combined


class Row(NamedTuple):
    id: str
    page: str
    bar: str
    passed: bool
    queries_5k: int | None = None
    queries_500k: int | None = None
    ms_5k: float | None = None
    ms_500k: float | None = None
    ratio: float | None = None


COLUMNS = [  # header, Row field, format
    ("id", "id", "{}"), ("page", "page", "{}"), ("queries 5k", "queries_5k", "{}"),
    ("queries 500k", "queries_500k", "{}"), ("ms 5k", "ms_5k", "{:.1f}"),
    ("ms 500k", "ms_500k", "{:.1f}"), ("ratio", "ratio", "{:.2f}"), ("bar", "bar", "{}"),
    ("result", "passed", "{}"),
]  # fmt: skip


def rows(small: dict, large: dict) -> list[Row]:
    """Three rows a page: query counts (P1, or P9 for the worklist pages), time ratio (P2 or
    P9), and for a list P3 big COUNT/DISTINCT queries (the query columns of a P3 row count
    those)."""
    bars = {page.name: page.bars for page in PAGES}
    table = []
    for name, at_large in large["pages"].items():
        at_small = small["pages"][name]
        queries_id, max_queries, ratio_id, is_list = bars[name]
        q_small, q_large = at_small["queries"], at_large["queries"]
        ms_small, ms_large = at_small["median_ms"], at_large["median_ms"]
        big_small, big_large = len(at_small["big_counts"]), len(at_large["big_counts"])
        table += [
            Row(queries_id, name, f"same, <= {max_queries}", q_small == q_large <= max_queries,
                queries_5k=q_small, queries_500k=q_large),
            Row(ratio_id, name, f"<= {MAX_RATIO}", ms_large / ms_small <= MAX_RATIO,
                ms_5k=ms_small, ms_500k=ms_large, ratio=ms_large / ms_small),
        ]  # fmt: skip
        if is_list:
            table.append(Row("P3", name, "no big COUNT/DISTINCT", big_large == 0,
                             queries_5k=big_small, queries_500k=big_large))  # fmt: skip
    return table


def print_table(table: list[Row]) -> None:
    def cell(row: Row, field: str, template: str) -> str:
        value = getattr(row, field)
        if value is None:
            return ""
        if field == "passed":
            return "pass" if value else "FAIL"
        return template.format(value)

    cells = [[cell(row, field, template) for _, field, template in COLUMNS] for row in table]
    headers = [header for header, _, _ in COLUMNS]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    numeric = {2, 3, 4, 5, 6}

    def line(values):
        return "  ".join(
            v.rjust(w) if i in numeric else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for values in cells:
        print(line(values))


def explain(small: dict, large: dict, table: list[Row], show_sql: bool) -> None:
    """The SQL behind any missed bar (or every page with --sql)."""
    failed = {row.page for row in table if not row.passed}
    for name, at_large in large["pages"].items():
        if not show_sql and name not in failed:
            continue
        print(f"\n{name}: {at_large['url']} {at_large['params']}")
        for label, result in (("5k", small), ("500k", large)):
            page = result["pages"][name]
            print(f"  {label}: {page['queries']} queries (seen {page['queries_seen']})")
            for sql in page["sql"]:
                print(f"    {sql[:300]}")
        for sql in at_large["big_counts"]:
            print(f"  P3 offender: {sql[:300]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P1-P3 (docs/quality.md) on the list pages.")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the scales")
    parser.add_argument("--runs", type=int, default=5, help="timed requests a page per round")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first")
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the databases")
    parser.add_argument("--sql", action="store_true", help="print every page's SQL")
    args = parser.parse_args(argv)
    print(f"Database engine: {ENGINE}", flush=True)
    if args.only.upper() in {"P4", "INVOICING"}:  # the month invoice run: invoicing.py
        return subprocess.run(
            [sys.executable, "-m", "tests.bench.invoicing"], cwd=BASE_DIR
        ).returncode
    if args.only.upper() == "P7":  # the finance import alone: tests/bench/finance_import.py
        return subprocess.run(
            [sys.executable, "-m", "tests.bench.finance_import"], cwd=BASE_DIR
        ).returncode
    if args.only.upper() in {"P10", "SWEEP"}:  # the worklist sweep alone: sweep.py
        return subprocess.run([sys.executable, "-m", "tests.bench.sweep"], cwd=BASE_DIR).returncode
    if args.only.upper() in {"P12", "REMINDERS"}:  # planning a day's reminders: reminders.py
        return subprocess.run(
            [sys.executable, "-m", "tests.bench.reminders"], cwd=BASE_DIR
        ).returncode
    if args.only.upper() in {"P13", "OUTBOX"}:  # the outbox's throughput: outbox.py
        return subprocess.run([sys.executable, "-m", "tests.bench.outbox"], cwd=BASE_DIR).returncode
    if args.only.upper() in {"P11", "P14", "LOAD"}:  # staff and therapists under load: load.py
        return subprocess.run([sys.executable, "-m", "tests.bench.load"], cwd=BASE_DIR).returncode
    if args.only.upper() in {"P5", "STATEMENTS"}:  # therapist statements: statements.py
        selected = ["--only", "P5"] if args.only.upper() == "P5" else []
        return subprocess.run(
            [sys.executable, "-m", "tests.bench.statements", *selected], cwd=BASE_DIR
        ).returncode
    if not any(args.only.lower() in page.name.lower() for page in PAGES):
        parser.error(f"no page matches {args.only!r}")

    for scale in SCALES:
        print(f"Database {scale.name} ({database_label(scale)}): ", end="", flush=True)
        seconds = ensure_database(scale, rebuild=args.rebuild)
        print("cached" if seconds is None else f"built in {seconds:.0f} s", flush=True)

    started = time.perf_counter()
    chosen = json.dumps(choose_context())
    options = ["--runs", str(args.runs), "--warmup", str(args.warmup), "--only", args.only]
    options += ["--context", chosen]
    results = {scale.name: [] for scale in SCALES}
    for round_ in range(args.rounds):
        order = SCALES if round_ % 2 == 0 else SCALES[::-1]
        for scale in order:
            results[scale.name].append(run_measure(scale, *options))
    small, large = combine(results[SMALL.name]), combine(results[LARGE.name])
    context = large["context"]
    print(
        f"Measured on {ENGINE} in {time.perf_counter() - started:.0f} s: {args.rounds} rounds "
        f"x {args.runs} runs a page and scale. Therapist {context['therapist']}, month "
        f"{context['month_first']}..{context['month_last']}; payer {context['payer']}, expiry "
        f"month {context['expiry_month_first']}..{context['expiry_month_last']}; last name "
        f"{context['last_name']!r}."
    )
    print(f"Big tables (P3): {', '.join(large['big_tables'])}\n")
    table = rows(small, large)
    print_table(table)
    explain(small, large, table, args.sql)
    uneven = {
        name: (small["pages"][name]["rows"], page["rows"])
        for name, page in large["pages"].items()
        if small["pages"][name]["rows"] != page["rows"]
    }
    for name, (rows_small, rows_large) in uneven.items():
        print(f"Note: {name} lists {rows_small} rows at 5k, {rows_large} at 500k.")
    missed = [row for row in table if not row.passed]
    print(
        f"\n{len(missed)} of {len(table)} figures miss their bar."
        if missed
        else f"\nAll {len(table)} figures meet their bars."
    )
    if args.only:  # some pages only: the other figures are theirs to ask for
        return 1 if missed else 0
    # P10, the worklist sweep, on the same two databases (tests/bench/sweep.py).
    sweep = subprocess.run([sys.executable, "-m", "tests.bench.sweep"], cwd=BASE_DIR)
    # P6 and P8 (PDFs, Excel export) run on their own scratch database: tests/bench/documents.py.
    documents = subprocess.run([sys.executable, "-m", "tests.bench.documents"], cwd=BASE_DIR)
    # P5, the month statement run, and P6 for statements: tests/bench/statements.py.
    statements = subprocess.run([sys.executable, "-m", "tests.bench.statements"], cwd=BASE_DIR)
    # P4, the month invoice run: its own process and scratch database (tests/bench/invoicing.py).
    p4 = subprocess.run([sys.executable, "-m", "tests.bench.invoicing"], cwd=BASE_DIR)
    # P7, the finance import: its own process and scratch database (tests/bench/finance_import.py)
    p7 = subprocess.run([sys.executable, "-m", "tests.bench.finance_import"], cwd=BASE_DIR)
    # P12, planning a day's reminders: its own process and scratch database (reminders.py).
    p12 = subprocess.run([sys.executable, "-m", "tests.bench.reminders"], cwd=BASE_DIR)
    # P13, the outbox's throughput to a local SMTP server, one worker (outbox.py).
    p13 = subprocess.run([sys.executable, "-m", "tests.bench.outbox"], cwd=BASE_DIR)
    # P11 and P14, under load: nginx and gunicorn on a PostgreSQL database of its own (load.py).
    p11 = subprocess.run([sys.executable, "-m", "tests.bench.load"], cwd=BASE_DIR)
    failed = any(run.returncode for run in (sweep, documents, statements, p4, p7, p12, p13, p11))
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
