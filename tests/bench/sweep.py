"""P10 (docs/quality.md): the worklist sweep, every rule in full, on the two bench databases.

    python -m tests.bench.sweep [--rounds 3] [--runs 5]     (make bench BENCH_ARGS="--only P10")

On each scale (the cached 5k and 500k databases of databases.py, each in a process of its
own, the scales alternating over the rounds): a first sweep, then the timed ones, so the
figure is a steady-state sweep, what the sweep costs every 15 minutes. Its query count at
both scales (bar: identical) and, at 500k, its median time over a raw-SQL floor (bar <= 3):
for every rule, the statements its `causes(today=…, subject_ids=None)` executes (captured
with connection.execute_wrapper) run again with a plain cursor and fetchall, so the floor
selects the same subjects and does nothing else. Each rule's own run and floor follow, with
its share of the sweep: where to look first when the sweep is slow. Every run is as of the
databases' day (BENCH_TODAY). Exits 1 when a figure misses its bar.
"""

import argparse
import json
import statistics
import subprocess
import sys
from datetime import date

from tests.bench.databases import BASE_DIR, BENCH_TODAY, SCALES, ensure_database, scale_env

P10_RATIO = 3
SMALL, LARGE = SCALES


def captured(function) -> list[tuple[str, object]]:
    """The (SQL, params) of every statement `function()` executes."""
    from django.db import connection

    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        function()
    return statements


def raw(statements) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()


def side_by_side(runs: int, **functions) -> dict[str, float]:
    """Median milliseconds of each function, timed in turns (after one untimed call each), so
    the machine's noise falls on a run and its floor alike."""
    from tests.bench.measure import timed

    times = {name: [] for name in functions}
    for function in functions.values():
        function()
    for _ in range(runs):
        for name, function in functions.items():
            times[name].append(timed(function, runs=1, warmup=0)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def measure(runs: int) -> dict:
    """This scale's figures: the sweep's queries and time, the floor, each rule's."""
    from tests.bench.measure import setup_django

    setup_django()
    from backoffice.worklist.rules import RULES
    from backoffice.worklist.services import rule_run, worklist_sweep

    today = date.fromisoformat(BENCH_TODAY)
    worklist_sweep(today=today)  # steady state: what a sweep 15 minutes later finds
    queries = captured(lambda: worklist_sweep(today=today))
    causes = {
        key: captured(lambda rule=rule: list(rule.causes(today=today, subject_ids=None)))
        for key, rule in RULES.items()
    }
    sweep = side_by_side(
        runs,
        sweep_ms=lambda: worklist_sweep(today=today),
        floor_ms=lambda: [raw(statements) for statements in causes.values()],
    )
    rules = {
        key: side_by_side(
            runs,
            run_ms=lambda rule=rule: rule_run(rule, today=today),
            floor_ms=lambda key=key: raw(causes[key]),
        )
        for key, rule in RULES.items()
    }
    return {
        "queries": len(queries),
        "sql": [sql for sql, _params in queries],
        **sweep,
        "rules": rules,
    }


def run_scale(scale, runs: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.sweep", "--measure", "--runs", str(runs)],
        cwd=BASE_DIR,
        env=scale_env(scale),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


def combine(rounds: list[dict]) -> dict:
    """One figure a scale from several rounds: medians of the rounds' medians."""

    def median(get):
        return statistics.median(get(result) for result in rounds)

    return {
        **rounds[0],
        "queries_seen": sorted({result["queries"] for result in rounds}),
        "sweep_ms": median(lambda r: r["sweep_ms"]),
        "floor_ms": median(lambda r: r["floor_ms"]),
        "rules": {
            key: {
                "run_ms": median(lambda r, key=key: r["rules"][key]["run_ms"]),
                "floor_ms": median(lambda r, key=key: r["rules"][key]["floor_ms"]),
            }
            for key in rounds[0]["rules"]
        },
    }


def report(small: dict, large: dict) -> bool:
    """Print the P10 lines; True when both figures meet their bars."""
    print("\nWorklist sweep (P10), steady state, as of", BENCH_TODAY)
    for name, result in ((SMALL.name, small), (LARGE.name, large)):
        ratio = result["sweep_ms"] / result["floor_ms"]
        print(
            f"  {name:>4}: {result['queries']} queries (seen {result['queries_seen']}), sweep "
            f"{result['sweep_ms']:.1f} ms, floor {result['floor_ms']:.1f} ms, ratio {ratio:.2f}"
        )
    total = sum(rule["run_ms"] for rule in large["rules"].values())
    print(f"  each rule at {LARGE.name} (run, floor, ratio, share of the sweep):")
    for key, rule in large["rules"].items():
        print(
            f"    {key:<22} {rule['run_ms']:8.1f} ms {rule['floor_ms']:8.1f} ms "
            f"{rule['run_ms'] / rule['floor_ms']:6.2f} {rule['run_ms'] / total:6.0%}"
        )
    same = small["queries"] == large["queries"] and len(large["queries_seen"]) == 1
    ratio = large["sweep_ms"] / large["floor_ms"]
    print(
        f"P10  sweep queries {SMALL.name} vs {LARGE.name} identical: {small['queries']} vs "
        f"{large['queries']}  {'pass' if same else 'FAIL'}"
    )
    print(
        f"P10  sweep ÷ raw-SQL floor at {LARGE.name} <= {P10_RATIO}: {ratio:.2f}  "
        f"{'pass' if ratio <= P10_RATIO else 'FAIL'}"
    )
    if not same:
        for name, result in ((SMALL.name, small), (LARGE.name, large)):
            print(f"  {name} statements:")
            for sql in result["sql"]:
                print(f"    {sql[:200]}")
    return same and ratio <= P10_RATIO


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="P10 (docs/quality.md): the worklist sweep.")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the scales")
    parser.add_argument("--runs", type=int, default=5, help="timed sweeps a round and scale")
    parser.add_argument("--measure", action="store_true", help="measure this process's scale")
    args = parser.parse_args(argv)
    if args.measure:
        json.dump(measure(args.runs), sys.stdout)
        return 0
    for scale in SCALES:
        ensure_database(scale)
    results = {scale.name: [] for scale in SCALES}
    for round_ in range(args.rounds):
        for scale in SCALES if round_ % 2 == 0 else SCALES[::-1]:
            results[scale.name].append(run_scale(scale, args.runs))
    passed = report(combine(results[SMALL.name]), combine(results[LARGE.name]))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
