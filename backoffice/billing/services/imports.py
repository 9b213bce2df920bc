"""Finance import: payers' remittances and clients' payments from a CSV or XLSX file.

One row is money received for one invoice. Rows with the same bill-to, date, method and
reference (a cheque or an EFT remittance) make one payment; rows without a reference are one
payment each. All rows or none: every problem is reported with its line (and
column) and nothing is saved while any remains. A dry run checks everything and saves nothing.
Formats, limits and what counts as the same payment: docs/architecture.md, "Finance import".
"""

import codecs
import csv
import io
import re
import secrets
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.billing.models import Invoice, Payment, PaymentAllocation, PaymentMethod
from backoffice.billing.selectors import invoices_with_open_amount
from backoffice.billing.services.payments import (
    _sessions_mark_paid,
    allocation_refusal,
    chunked,
    invoices_paid_amount_save,
    receipt_issue,
)
from backoffice.bulk import created_with_history
from backoffice.caseload.models import Client, Payer
from backoffice.documents.formatting import money

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_EMPTY_ROWS = 1_000
MAX_COLUMNS = 26  # A to Z
MAX_CELL_CHARS = 200
MAX_LINE_CHARS = 10_000  # one line of a CSV file
# An Excel file is a zip of XML parts; what they unpack to bounds the time and memory of
# reading them (a 1 MB file can unpack to gigabytes). openpyxl reads about 1.2 MB of the
# costliest XML a second on a loaded 2-core server, so any workbook stays under a second;
# an honest one of this size holds about 3,000 rows (a CSV file may hold 10,000).
MAX_UNPACKED_BYTES = 1024 * 1024
MAX_PARTS = 100
CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
MAX_AMOUNT = Decimal("99999999.99")
# Shown on the upload page and matched after lower-casing, trimming and s/[ -]/_/.
REQUIRED_COLUMNS = ("invoice_number", "amount", "received_on", "method")
OPTIONAL_COLUMNS = ("payer", "client", "reference")
COLUMN_ALIASES = {
    "invoice": "invoice_number",
    "invoice_no": "invoice_number",
    "date": "received_on",
    "received": "received_on",
    "payment_date": "received_on",
    "payment_method": "method",
    "payer_name": "payer",
    "client_id": "client",
    "ref": "reference",
    "cheque": "reference",
    "cheque_number": "reference",
}
FILE_TYPES_HELP = gettext_lazy(
    "A .csv (UTF-8) or .xlsx file, at most 10 MB and 10,000 rows; an Excel file may unpack "
    "to at most 1 MB (about 3,000 rows): save a bigger one as CSV."
)
# A spreadsheet formula, full-width signs folded first; refused rather than stored, so no
# later export can run it (docs/quality.md, exports).
FORMULA = re.compile(r"^\s*[=]")
# Amounts: 1234.56 and 1,234.56 (a comma before exactly three digits groups thousands), or
# the French 1234,56 and 1 234,56; a $ before or after. Nothing else: no 1e1, NaN or 1.2.3.
AMOUNT_EN = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
AMOUNT_FR = re.compile(r"-?(?:[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:,[0-9]{1,2})?")
DOLLAR = re.compile(r"^\$\s*|\s*\$$")
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
METHODS = {
    **{value.casefold(): value for value in PaymentMethod.values},
    **{str(label).casefold(): value for value, label in PaymentMethod.choices},
    "cheque": PaymentMethod.CHEQUE,
    "check": PaymentMethod.CHEQUE,
    "etransfer": PaymentMethod.E_TRANSFER,
    "interac": PaymentMethod.E_TRANSFER,
    "credit card": PaymentMethod.CARD,
    "debit": PaymentMethod.CARD,
}
STAGED_DIR = "imports/staged"
STAGED_FOR = timedelta(days=1)
STAGED_STAMP = "%Y%m%dT%H%M%SZ"


def reference_key(reference: str) -> str:
    """A reference however it is written: "CHQ 881", "chq-881" and "CHQ881" are one cheque."""
    return NOT_ALPHANUMERIC.sub("", reference.casefold())


@dataclass(frozen=True)
class ImportProblem:
    line: int  # 0: the whole file
    reason: str
    column: str = ""  # "C (Amount)": the letter and the file's own header


@dataclass
class ImportLine:
    line: int
    invoice_number: str
    amount: Decimal
    received_on: date
    method: str
    reference: str = ""
    reference_key: str = ""  # reference_key(reference)
    payer_name: str = ""
    client_id: int | None = None
    invoice: Invoice | None = None

    @property
    def identity(self) -> tuple:
        """Two rows with the same identity say the same thing (the payer's name only checks)."""
        return (
            self.invoice_number,
            self.amount,
            self.received_on,
            self.method,
            self.reference_key,
        )


@dataclass
class ImportResult:
    lines: list[ImportLine] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Groups of line numbers holding identical rows; saved only once staff confirm them.
    repeated: list[list[int]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # column key: its label in the file
    payments_count: int = 0
    allocations_count: int = 0
    total_amount: Decimal = Decimal("0.00")
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, headers, limits)."""


# --- Reading -------------------------------------------------------------------------------


def _header_key(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().casefold()
    key = re.sub(r"[\s\-]+", "_", text).strip("_")
    return COLUMN_ALIASES.get(key, key)


def _encoding(content: bytes) -> str:
    """UTF-8 if the whole file is (checked a megabyte at a time, never decoded whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1024 * 1024
    try:
        for start in range(0, len(content), step):
            decoder.decode(content[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"  # Excel on Windows saves "CSV" in cp1252
    return "utf-8-sig"


def _csv_text_lines(text: io.TextIOBase):
    """The file's lines, each read only up to its limit: a giant line is refused unread."""
    number = 0
    while line := text.readline(MAX_LINE_CHARS + 2):
        number += 1
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            raise ImportFileError(
                _("Line %(line)s is longer than %(max)s characters.")
                % {"line": number, "max": number_format(MAX_LINE_CHARS, force_grouping=True)}
            )
        if "\x00" in line:
            raise ImportFileError(_("The file is not a CSV text file."))
        yield line


def _rows_from_csv(content: bytes):
    text = io.TextIOWrapper(io.BytesIO(content), encoding=_encoding(content), newline="")
    line = 0
    try:
        for line, row in enumerate(csv.reader(_csv_text_lines(text)), start=1):
            yield line, _within_columns(line, row)
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The file is not UTF-8 text.")) from error
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": line + 1, "error": error}
        ) from error


def _within_columns(line: int, row: list) -> list:
    if len(row) > MAX_COLUMNS:
        if any(row[MAX_COLUMNS:]):
            raise ImportFileError(
                _("Line %(line)s has cells beyond column Z; keep the file to columns A to Z.")
                % {"line": line}
            )
        return row[:MAX_COLUMNS]
    return row


def _workbook_size_check(content: bytes) -> None:
    """Refuses a workbook by what its zip says it unpacks to, before any XML is parsed.

    A part never unpacks to more than its declared size (zipfile stops there and the CRC
    check fails), so lying sizes cannot get past this either. The parts are counted from
    their signatures first: opening a zip of 60,000 empty parts takes a second.
    """
    if content.count(CENTRAL_DIRECTORY_ENTRY) > MAX_PARTS:
        raise ImportFileError(
            _("The workbook has more than %(max)s parts: it is not a remittance.")
            % {"max": MAX_PARTS}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(_("The file is not a readable Excel (.xlsx) workbook.")) from error
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _(
                "The workbook unpacks to %(size)s MB, more than the %(max)s MB an Excel file "
                "may hold here: save it as CSV (UTF-8), or keep only the remittance's sheet."
            )
            % {
                "size": number_format(unpacked / 1024 / 1024, 1, force_grouping=True),
                "max": number_format(MAX_UNPACKED_BYTES // 1024 // 1024),
            }
        )


def _rows_from_xlsx(content: bytes):
    from openpyxl import load_workbook

    _workbook_size_check(content)
    try:
        workbook = load_workbook(
            io.BytesIO(content), read_only=True, data_only=False, keep_links=False
        )
    except Exception as error:  # any damage inside the zip: report it, never a 500
        raise ImportFileError(_("The file is not a readable Excel (.xlsx) workbook.")) from error
    line = 0
    try:
        sheet = workbook.worksheets[0]
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise ImportFileError(
                _("The sheet has cells beyond column Z; keep the remittance to columns A to Z.")
            )
        # One row past both limits is enough to refuse; openpyxl reads no further.
        rows = sheet.iter_rows(
            values_only=True, max_col=MAX_COLUMNS, max_row=MAX_ROWS + MAX_EMPTY_ROWS + 2
        )
        for line, row in enumerate(rows, start=1):
            yield line, row
    except ImportFileError:
        raise
    except Exception as error:  # a damaged sheet: report it, never a 500
        raise ImportFileError(
            _("Row %(line)s of the workbook cannot be read.") % {"line": line + 1}
        ) from error
    finally:
        workbook.close()


def file_rows(*, name: str, content: bytes):
    """(line number, cells) for every row of a CSV or XLSX file; ImportFileError if unreadable.

    Rows are streamed and at most MAX_COLUMNS wide; the caller stops at its row limits.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB."))
    extension = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    if extension == "csv":
        return _rows_from_csv(content)
    if extension == "xlsx":
        return _rows_from_xlsx(content)
    raise ImportFileError(
        _("Upload a .csv or .xlsx file (this one is .%(ext)s).") % {"ext": extension}
    )


# --- Parsing one row -------------------------------------------------------------------------


def _amount(value) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel number: a binary float, read to Excel's own 15 significant digits.
        amount = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
        if not amount.is_finite():
            raise ValueError(_("%(value)s is not an amount.") % {"value": value})
    else:
        text = DOLLAR.sub("", str(value).strip())
        if AMOUNT_EN.fullmatch(text):
            text = text.replace(",", "")
        elif AMOUNT_FR.fullmatch(text):
            text = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
        else:
            raise ValueError(
                _("%(value)s is not an amount (write it as 1234.56 or 1,234.56).")
                % {"value": value}
            )
        amount = Decimal(text)
    if amount <= 0:
        raise ValueError(_("The amount must be more than 0."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("The amount is too large."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("The amount has more than two decimals."))
    return amount.quantize(Decimal("0.01"))


def _date(value, today: date) -> date:
    if isinstance(value, datetime):  # an Excel date cell
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = str(value).strip()
        try:
            if not ISO_DATE.fullmatch(text):
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError as error:
            raise ValueError(
                _("%(value)s is not a date (write it as YYYY-MM-DD, e.g. 2026-11-15).")
                % {"value": value}
            ) from error
    if day > today:
        raise ValueError(_("The date %(day)s is in the future.") % {"day": day})
    return day


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _blank(row) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _parse(line: int, cells: dict, today: date) -> tuple[ImportLine | None, list[tuple]]:
    """The row as an ImportLine, or the (column, reason) of each thing wrong with it."""
    texts = {column: _text(value) for column, value in cells.items()}
    reasons = []
    for column, value in cells.items():
        if isinstance(value, str) and FORMULA.match(unicodedata.normalize("NFKC", value)):
            reasons.append((column, _("A formula is not accepted.")))
        elif len(texts[column]) > MAX_CELL_CHARS:
            reasons.append(
                (
                    column,
                    _("The cell is %(length)s characters long (at most %(max)s).")
                    % {"length": len(texts[column]), "max": MAX_CELL_CHARS},
                )
            )
    if reasons:
        return None, reasons
    parsed = {}
    if not texts.get("invoice_number"):
        reasons.append(("invoice_number", _("The invoice number is missing.")))
    for column, parse in (("amount", _amount), ("received_on", lambda v: _date(v, today))):
        if not texts.get(column):
            reasons.append((column, _("%(column)s is missing.") % {"column": column}))
            continue
        try:
            parsed[column] = parse(cells[column])
        except ValueError as error:
            reasons.append((column, str(error)))
    method = METHODS.get(texts.get("method", "").casefold())
    if method is None:
        reasons.append(
            (
                "method",
                _("%(value)s is not a payment method (%(methods)s).")
                % {
                    "value": texts.get("method") or "—",
                    "methods": ", ".join(PaymentMethod.values),
                },
            )
        )
    client_id = None
    client = texts.get("client")
    if client:
        if client.isdigit():
            client_id = int(client)
        else:
            reasons.append(
                (
                    "client",
                    _("The client is given by its number in Caseload: %(value)s is not one.")
                    % {"value": client},
                )
            )
    if reasons:
        return None, reasons
    reference = texts.get("reference", "")
    return (
        ImportLine(
            line=line,
            invoice_number=texts["invoice_number"],
            amount=parsed["amount"],
            received_on=parsed["received_on"],
            method=method,
            reference=reference,
            reference_key=reference_key(reference),
            payer_name=texts.get("payer", ""),
            client_id=client_id,
        ),
        [],
    )


def _header(line: int, row) -> tuple[list[str], dict[str, str]]:
    """The column key of each cell of the header row, and each key's label for problems."""
    from openpyxl.utils import get_column_letter

    keys = [_header_key(cell) for cell in row]
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if missing:
        raise ImportFileError(
            _("Line %(line)s: the header lacks %(missing)s (needed: %(needed)s).")
            % {"line": line, "missing": ", ".join(missing), "needed": ", ".join(REQUIRED_COLUMNS)}
        )
    unknown = [c for c in keys if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise ImportFileError(
            _("Line %(line)s: unknown columns %(unknown)s (known: %(known)s).")
            % {
                "line": line,
                "unknown": ", ".join(unknown),
                "known": ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
            }
        )
    twice = sorted({c for c in keys if c and keys.count(c) > 1})
    if twice:
        raise ImportFileError(
            _("Line %(line)s: the column %(column)s appears twice.")
            % {"line": line, "column": ", ".join(twice)}
        )
    labels = {
        key: f"{get_column_letter(index)} ({_text(cell)})"
        for index, (key, cell) in enumerate(zip(keys, row, strict=True), start=1)
        if key
    }
    return keys, labels


def _lines(*, name: str, content: bytes, result: ImportResult) -> list[ImportLine]:
    today = timezone.localdate()
    header = None
    named: set[int] = set()  # the header's columns that have a name
    lines = []
    rows = empty_rows = 0
    seen: dict[tuple, list[int]] = defaultdict(list)
    for line, row in file_rows(name=name, content=content):
        if _blank(row):
            empty_rows += 1
            if empty_rows > MAX_EMPTY_ROWS:
                raise ImportFileError(
                    _(
                        "The file has more than %(max)s empty rows (line %(line)s): delete them "
                        "and upload it again."
                    )
                    % {"max": number_format(MAX_EMPTY_ROWS, force_grouping=True), "line": line}
                )
            continue
        if header is None:
            header, result.columns = _header(line, row)
            named = {index for index, key in enumerate(header) if key}
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)s rows: split it into several files.")
                % {"max": number_format(MAX_ROWS, force_grouping=True)}
            )
        if not _blank([cell for index, cell in enumerate(row) if index not in named]):
            result.problems.append(
                ImportProblem(line, _("The row has a value in a column without a header."))
            )
            continue
        cells = {column: value for column, value in zip(header, row, strict=False) if column}
        parsed, reasons = _parse(line, cells, today)
        result.problems.extend(
            ImportProblem(line, reason, result.columns.get(column, ""))
            for column, reason in reasons
        )
        if parsed:
            lines.append(parsed)
            seen[parsed.identity].append(line)
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not lines and not result.problems:
        raise ImportFileError(_("The file has a header but no rows."))
    result.repeated = [numbers for numbers in seen.values() if len(numbers) > 1]
    return lines


# --- Checking against the books and saving --------------------------------------------------


def _invoices_by_number(numbers: set[str], *, lock: bool) -> dict[str, Invoice]:
    found = {}
    for chunk in chunked(sorted(numbers)):
        queryset = Invoice.objects.select_related("payer").filter(number__among=chunk)
        queryset = queryset.order_by("pk")
        if lock:  # in id order, like payments.invoices_lock
            queryset = queryset.select_for_update(of=("self",))
        found.update((invoice.number, invoice) for invoice in invoices_with_open_amount(queryset))
    return found


def _bill_tos_lock(invoices) -> None:
    """Row locks on the payers and clients paid, after the invoices' (the same order for every
    import): a second import of the same payment waits, then finds it recorded. NO KEY, so
    new rows that point at them are not held up."""
    payer_ids = sorted({invoice.payer_id for invoice in invoices if invoice.payer_id})
    client_ids = sorted({invoice.client_id for invoice in invoices if not invoice.payer_id})
    for model, ids in ((Payer, payer_ids), (Client, client_ids)):
        for chunk in chunked(ids):
            locked = model.objects.select_for_update(no_key=True).filter(pk__among=chunk)
            list(locked.order_by("pk").values_list("pk", flat=True))


def _check(lines: list[ImportLine], result: ImportResult, *, lock: bool) -> None:
    invoices = _invoices_by_number({line.invoice_number for line in lines}, lock=lock)
    if lock:
        _bill_tos_lock(invoices.values())
    column = result.columns.get
    billed = []
    for line in lines:
        invoice = invoices.get(line.invoice_number)
        if invoice is None:
            result.problems.append(
                ImportProblem(
                    line.line,
                    _("Unknown invoice number %(number)s.") % {"number": line.invoice_number},
                    column("invoice_number", ""),
                )
            )
        elif line.payer_name and (
            invoice.payer is None or invoice.payer.name.casefold() != line.payer_name.casefold()
        ):
            result.problems.append(
                ImportProblem(
                    line.line,
                    _("Invoice %(number)s is not billed to the payer %(payer)s.")
                    % {"number": invoice, "payer": line.payer_name},
                    column("payer", ""),
                )
            )
        elif line.client_id is not None and invoice.client_id != line.client_id:
            result.problems.append(
                ImportProblem(
                    line.line,
                    _("Invoice %(number)s is not for client %(client)s.")
                    % {"number": invoice, "client": line.client_id},
                    column("client", ""),
                )
            )
        else:
            billed.append((line, invoice))
    recorded = _recorded_payments(billed)
    taken: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line, invoice in billed:
        payment = recorded.get(line.line)
        if payment is not None:
            result.problems.append(ImportProblem(line.line, _already_recorded(payment)))
            continue
        # Rows earlier in the file have already taken their part of the open balance.
        open_amount = invoice.open_amount
        invoice.open_amount = open_amount - taken[invoice.pk]
        refusal = allocation_refusal(
            payer_id=invoice.payer_id,
            client_id=None if invoice.payer_id else invoice.client_id,
            invoice=invoice,
            amount=line.amount,
        )
        invoice.open_amount = open_amount
        if refusal:
            result.problems.append(ImportProblem(line.line, refusal, column("amount", "")))
            continue
        taken[invoice.pk] += line.amount
        line.invoice = invoice


def _already_recorded(payment: Payment) -> str:
    known = {
        "day": payment.received_on,
        "reference": payment.reference,
        "amount": money(payment.amount),
        "entered": timezone.localdate(payment.created_at),
    }
    if payment.reference:
        return (
            _(
                "Already recorded: the payment of %(day)s, reference %(reference)s, "
                "%(amount)s (entered %(entered)s). A payment is never recorded twice."
            )
            % known
        )
    return (
        _(
            "Already recorded: the payment of %(day)s without a reference, %(amount)s "
            "(entered %(entered)s). A payment is never recorded twice."
        )
        % known
    )


def _bill_to(invoice: Invoice) -> tuple[str, int]:
    return ("payer", invoice.payer_id) if invoice.payer_id else ("client", invoice.client_id)


def _recorded_payments(billed: list[tuple[ImportLine, Invoice]]) -> dict[int, Payment]:
    """The payment already in the books for each row that has one, by line number.

    A row with a reference is its bill-to's payment of that reference on that date, however
    it was entered (an import or by hand); a row without one is a payment without a
    reference, on that date, of that amount to that invoice.
    """
    if not billed:
        return {}
    days = (
        min(line.received_on for line, _invoice in billed),
        max(line.received_on for line, _invoice in billed),
    )
    bill_tos = defaultdict(set)
    for _line, invoice in billed:
        kind, pk = _bill_to(invoice)
        bill_tos[kind].add(pk)
    by_reference = {}
    for kind, ids in bill_tos.items():
        for chunk in chunked(sorted(ids)):
            payments = Payment.objects.filter(
                Q(**{f"{kind}_id__among": chunk}), received_on__range=days
            ).exclude(reference="")
            for payment in payments:
                bill_to = (kind, getattr(payment, f"{kind}_id"))
                by_reference[(*bill_to, payment.received_on, reference_key(payment.reference))] = (
                    payment
                )
    unreferenced = {}
    invoice_ids = sorted({invoice.pk for line, invoice in billed if not line.reference_key})
    for chunk in chunked(invoice_ids):
        allocations = PaymentAllocation.objects.filter(
            invoice_id__among=chunk, payment__reference="", payment__received_on__range=days
        ).select_related("payment")
        for allocation in allocations:
            key = (allocation.invoice_id, allocation.payment.received_on, allocation.amount)
            unreferenced[key] = allocation.payment
    recorded = {}
    for line, invoice in billed:
        if line.reference_key:
            key = (*_bill_to(invoice), line.received_on, line.reference_key)
            payment = by_reference.get(key)
        else:
            payment = unreferenced.get((invoice.pk, line.received_on, line.amount))
        if payment is not None:
            recorded[line.line] = payment
    return recorded


def _payment_key(line: ImportLine):
    if not line.reference_key:
        return (*_bill_to(line.invoice), line.line)  # no reference: a payment of its own
    return (*_bill_to(line.invoice), line.received_on, line.method, line.reference_key)


def _save(lines: list[ImportLine], result: ImportResult, by) -> None:
    groups: dict[tuple, list[ImportLine]] = defaultdict(list)
    for line in lines:
        groups[_payment_key(line)].append(line)
    payments = []
    for group in groups.values():
        first = group[0]
        amount = sum((line.amount for line in group), Decimal("0.00"))
        payments.append(
            Payment(
                payer_id=first.invoice.payer_id,
                client_id=None if first.invoice.payer_id else first.invoice.client_id,
                received_on=first.received_on,
                method=first.method,
                reference=first.reference,
                amount=amount,
                allocated_amount=amount,
                notes=_("Imported."),
            )
        )
    created_with_history(payments, by=by)
    allocations = []
    invoices: dict[int, Invoice] = {}
    paid_on: dict[int, date] = {}
    for payment, group in zip(payments, groups.values(), strict=True):
        per_invoice: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for line in group:
            per_invoice[line.invoice.pk] += line.amount
            invoices[line.invoice.pk] = line.invoice
            paid_on[line.invoice.pk] = max(
                paid_on.get(line.invoice.pk, line.received_on), line.received_on
            )
        allocations += [
            PaymentAllocation(payment=payment, invoice_id=pk, amount=amount)
            for pk, amount in per_invoice.items()
        ]
        for pk, amount in per_invoice.items():
            invoices[pk].paid_amount += amount
    created_with_history(allocations, by=by)
    invoices_paid_amount_save(invoices=list(invoices.values()), by=by)
    _sessions_mark_paid(invoices=invoices.values(), paid_on=paid_on, by=by)
    for payment in payments:
        if payment.client_id:  # a client's payment is receipted like one recorded by hand
            receipt_issue(payment=payment, by=by)
    result.payments_count = len(payments)
    result.allocations_count = len(allocations)


def _repeated_problems(result: ImportResult) -> list[ImportProblem]:
    return [
        ImportProblem(
            number,
            _("Identical to line %(first)s: confirm identical rows on the preview to record them.")
            % {"first": numbers[0]},
        )
        for numbers in result.repeated
        for number in numbers[1:]
    ]


def payments_file_read(*, name: str, content: bytes) -> ImportResult:
    """The file's rows parsed, each on its own (no database): lines, problems, repeated rows."""
    result = ImportResult()
    try:
        result.lines = _lines(name=name, content=content, result=result)
    except ImportFileError as error:  # the file's problem, not its rows'
        result.problems = [ImportProblem(0, str(error))]
    return result


def payments_import(
    *,
    name: str,
    content: bytes,
    by=None,
    dry_run: bool = False,
    repeated_rows_confirmed: bool = False,
) -> ImportResult:
    """Check a payments file and, unless `dry_run` or any row has a problem, record it all.

    Never raises for a bad file: problems come back in `result.problems` with line numbers
    (line 0 = the file as a whole). Rows already in the books are problems; identical rows
    within the file are listed in `result.repeated` and recorded only when
    `repeated_rows_confirmed`. Constant queries per 2,000 rows.
    """
    result = payments_file_read(name=name, content=content)
    if any(problem.line == 0 for problem in result.problems):
        return result
    lines = result.lines
    if not dry_run and not repeated_rows_confirmed:
        result.problems += _repeated_problems(result)
    if dry_run:
        _check(lines, result, lock=False)
    else:
        with transaction.atomic():
            _check(lines, result, lock=True)
            if not result.problems:
                _save(lines, result, by)
                result.saved = True
    result.total_amount = sum((line.amount for line in lines), Decimal("0.00"))
    if dry_run and not result.problems:
        groups = {_payment_key(line) for line in lines}
        result.payments_count = len(groups)
    result.problems.sort(key=lambda problem: problem.line)
    return result


# --- The file between preview and confirm ---------------------------------------------------


def staged_import_save(*, name: str, content: bytes) -> str:
    """Keeps a previewed file in the configured storage (S3 in production) until staff confirm
    or cancel; returns its path: the upload time (for the sweep) and an unguessable token."""
    extension = name.rsplit(".", 1)[-1].casefold()
    stamp = timezone.now().astimezone(UTC).strftime(STAGED_STAMP)
    path = f"{STAGED_DIR}/{stamp}-{secrets.token_urlsafe(32)}.{extension}"
    return default_storage.save(path, ContentFile(content))


def staged_import_take(*, path: str) -> bytes | None:
    """The staged file's bytes, deleted from storage; None when it is gone (taken or swept)."""
    try:
        with default_storage.open(path) as staged:
            content = staged.read()
    except FileNotFoundError:
        return None
    default_storage.delete(path)
    return content


def staged_import_delete(*, path: str) -> None:
    """Staff cancelled the import: the file goes."""
    default_storage.delete(path)


def staged_imports_sweep(*, now: datetime | None = None) -> int:
    """Deletes staged files older than a day (previews nobody confirmed or cancelled).

    The upload time is read from the file's name, so one listing is enough on S3.
    """
    cutoff = (now or timezone.now()) - STAGED_FOR
    try:
        _folders, names = default_storage.listdir(STAGED_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        try:
            staged_at = datetime.strptime(name[:16], STAGED_STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if staged_at < cutoff:
            default_storage.delete(f"{STAGED_DIR}/{name}")
            deleted += 1
    return deleted
