"""The restore drill (.ci/run runs it on PostgreSQL; docs/deploy.md, Backups and restore): a
backup made by `manage.py backup` restored by `manage.py restore` into a new database is the
same clinic.

A fresh database is migrated by the Procfile's release step and given a small synthetic clinic
with billed months (invoices, payments, receipts, statements), in the production environment;
it is backed up, and the backup restored into a second, empty database. Then: every table of
the public schema (listed from the catalog) holds as many rows in both; every sequence stands
where it stood, and its next value is above its column's largest; an invoice and a statement
rendered as PDFs from the restored database read the same (pypdf's text) as from the source.

    python -m tests.production.restore      (BACKUP_CHECK_POSTGRES_URL: the server, default
                                             postgres://postgres@127.0.0.1:5432)

Prints each step with its seconds; exits 1 on any difference, and drops both databases.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from backoffice.operations.backups import database_row_counts
from tests.production.servers import BASE_DIR, VENV_BIN, database_drop, database_fresh
from tests.production.smoke import check, procfile, production_env, run, step

SERVER = os.environ.get("BACKUP_CHECK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
SOURCE, TARGET = "caseload_restore_source", "caseload_restore_target"
SEED = ["--therapists", "3", "--clients", "30", "--payers", "2", "--appointments", "300",
        "--billed-months", "2"]  # fmt: skip
# Each sequence of the public schema, with the table and column it numbers (serial or identity).
SEQUENCES = """
    SELECT s.relname, t.relname, a.attname
    FROM pg_class s
    JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = 'public'
    JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE s.relkind = 'S' ORDER BY s.relname"""


def url(name: str) -> str:
    return f"{SERVER}/{name}"


def sequence_positions(name: str) -> dict[str, tuple[int, bool]]:
    with psycopg.connect(url(name)) as db:
        return {
            sequence: db.execute(f'SELECT last_value, is_called FROM "{sequence}"').fetchone()
            for sequence, _, _ in db.execute(SEQUENCES).fetchall()
        }


def sequences_behind_their_rows(name: str) -> list[str]:
    """The sequences whose next value is not above their column's largest (taking one)."""
    behind = []
    with psycopg.connect(url(name)) as db:
        for sequence, table, column in db.execute(SEQUENCES).fetchall():
            largest = db.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()[0]
            following = db.execute("SELECT nextval(%s)", [sequence]).fetchone()[0]
            if largest is not None and following <= largest:
                behind.append(f"{table}.{column}: next {following}, largest {largest}")
    return behind


def documents_text(env: dict) -> dict[str, str]:
    """An invoice's and a statement's PDF text, rendered from the database `env` points at."""
    done = subprocess.run(
        [VENV_BIN / "python", "-m", "tests.production.restore", "--documents"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    check(done.returncode == 0, f"rendering the documents failed:\n{done.stderr}")
    return json.loads(done.stdout)


def documents_render() -> None:
    """(--documents) Print the first issued invoice's and the first statement's PDF text, by
    what each must show."""
    import io

    import django
    import pypdf

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    django.setup()
    from backoffice.billing.models import Invoice, InvoiceStatus
    from backoffice.billing.services import invoice_pdf
    from backoffice.payouts.models import Statement
    from backoffice.payouts.services.pdf import statement_pdf

    def text(pdf: bytes) -> str:
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)

    invoice = Invoice.objects.filter(status=InvoiceStatus.ISSUED).order_by("pk").first()
    statement = Statement.objects.filter(lines__isnull=False).order_by("pk").first()
    print(
        json.dumps(
            {
                f"invoice: {invoice.number}": text(invoice_pdf(invoice=invoice)),
                f"statement: {statement.therapist.last_name}": text(
                    statement_pdf(statement=statement)
                ),
            }
        )
    )


def drill(scratch: Path) -> dict[str, int]:
    env = production_env(scratch)
    env.pop("REDIS_URL")  # the seed's few tasks wait in Huey's file under scratch
    source = {**env, "DATABASE_URL": url(SOURCE)}
    dump = scratch / "caseload.dump"
    with step(f"a fresh database {SOURCE}, migrated by the release step"):
        database_fresh(url(SOURCE))
        run(procfile("release"), source)
    with step("a small clinic with two billed months (seed_demo)"):
        run(f"python manage.py seed_demo {' '.join(SEED)}", source)
    with step("manage.py backup"):
        run(f"python manage.py backup --output {dump}", source)
    with step(f"manage.py restore into a new, empty {TARGET}"):
        database_fresh(url(TARGET))
        run(f"python manage.py restore {dump} --database-url {url(TARGET)}", env)
    with step("every table holds as many rows"):
        counts = database_row_counts(database_url=url(SOURCE))
        restored = database_row_counts(database_url=url(TARGET))
        differing = [
            f"{table}: {rows} in the source, {restored.get(table)} restored"
            for table, rows in counts.items()
            if restored.get(table) != rows
        ]
        differing += [f"{table}: not in the source" for table in restored.keys() - counts.keys()]
        check(not differing, "row counts differ:\n" + "\n".join(differing))
        check(counts["billing_invoice"] and counts["payouts_statement"], "nothing was billed")
    with step("every sequence stands where it stood, ahead of its rows"):
        positions = sequence_positions(SOURCE)
        check(sequence_positions(TARGET) == positions, "sequences differ from the source's")
        behind = sequences_behind_their_rows(TARGET)
        check(not behind, "sequences behind their rows:\n" + "\n".join(behind))
    with step("an invoice and a statement read the same from the restored database"):
        expected = documents_text(source)
        found = documents_text({**env, "DATABASE_URL": url(TARGET)})
        for document, text in expected.items():
            check(document.partition(": ")[2] in text, f"{document}: its PDF lacks that")
            check(found.get(document) == text, f"{document}: the restored PDF reads otherwise")
    return {
        "tables": len(counts),
        "rows": sum(counts.values()),
        "sequences": len(positions),
        "backup bytes": dump.stat().st_size,
        "documents": len(expected),
    }


def main() -> int:
    if "--documents" in sys.argv:
        documents_render()
        return 0
    started = time.perf_counter()
    print(f"Restore drill: manage.py backup, then manage.py restore into a new database ({SERVER})")
    with tempfile.TemporaryDirectory(prefix="caseload-restore-") as scratch:
        try:
            summary = drill(Path(scratch))
        except Exception as failure:
            print(f"FAILED\n{failure}")
            return 1
        finally:
            database_drop(url(SOURCE))
            database_drop(url(TARGET))
    figures = ", ".join(f"{value:,} {name}" for name, value in summary.items())
    print(f"Restore drill passed in {time.perf_counter() - started:.0f} s: {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
