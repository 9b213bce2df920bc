"""Finance import: payers' remittances and clients' payments from a CSV or XLSX file.

One row is money received for one invoice. Rows with the same bill-to, date, method and
reference (a cheque or an EFT remittance) make one payment; rows without a reference are one
payment each. All rows or none (QUALITY R4): every problem is reported with its line number
and nothing is saved while any remains. A dry run checks everything and saves nothing.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from backoffice.billing.aging import invoices_with_open_amount
from backoffice.billing.models import Invoice, Payment, PaymentAllocation, PaymentMethod
from backoffice.billing.services.payments import (
    CHUNK,
    _sessions_mark_paid,
    allocation_refusal,
    chunked,
    invoices_paid_amount_save,
    receipt_issue,
)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CELL_CHARS = 200
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
FILE_TYPES_HELP = gettext_lazy("A .csv (UTF-8) or .xlsx file, at most 10 MB.")
# A spreadsheet formula; refused rather than stored, so no later export can run it (S5).
FORMULA = re.compile(r"^\s*[=]")
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


@dataclass(frozen=True)
class ImportProblem:
    line: int  # 0: the whole file
    reason: str


@dataclass
class ImportLine:
    line: int
    invoice_number: str
    amount: Decimal
    received_on: date
    method: str
    reference: str = ""
    payer_name: str = ""
    client_id: int | None = None
    invoice: Invoice | None = None


@dataclass
class ImportResult:
    lines: list[ImportLine] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    payments_count: int = 0
    allocations_count: int = 0
    total_amount: Decimal = Decimal("0.00")
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, headers)."""


# --- Reading -------------------------------------------------------------------------------


def _header_key(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().casefold()
    key = re.sub(r"[\s\-]+", "_", text).strip("_")
    return COLUMN_ALIASES.get(key, key)


def _rows_from_csv(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # Excel on Windows saves "CSV" in cp1252
            text = content.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportFileError(_("The file is not UTF-8 text.")) from error
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV text file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        line = 0
        for row in reader:
            line += 1
            yield line, row
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": line + 1, "error": error}
        ) from error


def _rows_from_xlsx(content: bytes):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(_("The file is not a readable Excel (.xlsx) workbook.")) from error
    line = 0
    try:
        sheet = workbook.worksheets[0]
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, list(row)
    except ImportFileError:
        raise
    except Exception as error:  # a damaged sheet: report it, never a 500
        raise ImportFileError(
            _("Row %(line)s of the workbook cannot be read.") % {"line": line + 1}
        ) from error
    finally:
        workbook.close()


def file_rows(*, name: str, content: bytes):
    """(line number, cells) for every row of a CSV or XLSX file; ImportFileError if unreadable."""
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
        amount = Decimal(str(value))
    else:
        text = str(value).replace("$", "").replace("\u00a0", "").replace(" ", "")
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")
        elif re.fullmatch(r"\d+,\d{1,2}", text):  # French decimal comma
            text = text.replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(_("%(value)s is not an amount.") % {"value": value}) from error
    if not amount.is_finite() or amount <= 0:
        raise ValueError(_("The amount must be more than 0."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("The amount has more than two decimals."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


def _date(value, today: date) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError as error:
            raise ValueError(
                _("%(value)s is not a date (write it as YYYY-MM-DD).") % {"value": value}
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


def _parse(line: int, cells: dict, today: date) -> tuple[ImportLine | None, list[str]]:
    reasons = []
    for column, value in cells.items():
        if isinstance(value, str) and FORMULA.match(value):
            reasons.append(
                _("%(column)s holds a formula; formulas are not accepted.") % {"column": column}
            )
        elif len(_text(value)) > MAX_CELL_CHARS:
            reasons.append(
                _("%(column)s is %(length)s characters long (at most %(max)s).")
                % {"column": column, "length": len(_text(value)), "max": MAX_CELL_CHARS}
            )
    if reasons:
        return None, reasons
    parsed = {}
    number = _text(cells.get("invoice_number"))
    if not number:
        reasons.append(_("The invoice number is missing."))
    for column, parse in (("amount", _amount), ("received_on", lambda v: _date(v, today))):
        value = cells.get(column)
        if value is None or _text(value) == "":
            reasons.append(_("%(column)s is missing.") % {"column": column})
            continue
        try:
            parsed[column] = parse(value)
        except ValueError as error:
            reasons.append(str(error))
    method = METHODS.get(_text(cells.get("method")).casefold())
    if method is None:
        reasons.append(
            _("%(value)s is not a payment method (%(methods)s).")
            % {
                "value": _text(cells.get("method")) or "—",
                "methods": ", ".join(PaymentMethod.values),
            }
        )
    client_id = None
    client = _text(cells.get("client"))
    if client:
        if client.isdigit():
            client_id = int(client)
        else:
            reasons.append(
                _("The client is given by its number in Caseload: %(value)s is not one.")
                % {"value": client}
            )
    if reasons:
        return None, reasons
    return (
        ImportLine(
            line=line,
            invoice_number=number,
            amount=parsed["amount"],
            received_on=parsed["received_on"],
            method=method,
            reference=_text(cells.get("reference")),
            payer_name=_text(cells.get("payer")),
            client_id=client_id,
        ),
        [],
    )


def _lines(*, name: str, content: bytes, result: ImportResult) -> list[ImportLine]:
    today = timezone.localdate()
    rows = file_rows(name=name, content=content)
    header = None
    lines = []
    for line, row in rows:
        if not any(_text(cell) for cell in row):
            continue
        if header is None:
            header = [_header_key(cell) for cell in row]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ImportFileError(
                    _("Line %(line)s: the header lacks %(missing)s (needed: %(needed)s).")
                    % {
                        "line": line,
                        "missing": ", ".join(missing),
                        "needed": ", ".join(REQUIRED_COLUMNS),
                    }
                )
            unknown = [c for c in header if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
            if unknown:
                raise ImportFileError(
                    _("Line %(line)s: unknown columns %(unknown)s (known: %(known)s).")
                    % {
                        "line": line,
                        "unknown": ", ".join(unknown),
                        "known": ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
                    }
                )
            continue
        if len(lines) + len(result.problems) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)s rows.") % {"max": MAX_ROWS})
        if len(row) > len(header) and any(_text(cell) for cell in row[len(header) :]):
            result.problems.append(
                ImportProblem(line, _("The row has more cells than the header."))
            )
            continue
        cells = {column: value for column, value in zip(header, row, strict=False) if column}
        parsed, reasons = _parse(line, cells, today)
        result.problems.extend(ImportProblem(line, reason) for reason in reasons)
        if parsed:
            lines.append(parsed)
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not lines and not result.problems:
        raise ImportFileError(_("The file has a header but no rows."))
    return lines


# --- Checking against the books and saving --------------------------------------------------


def _invoices_by_number(numbers: set[str], *, lock: bool) -> dict[str, Invoice]:
    found = {}
    for chunk in chunked(sorted(numbers)):
        queryset = Invoice.objects.select_related("payer").filter(number__in=chunk).order_by("pk")
        if lock:  # in id order, like payments.invoices_lock
            queryset = queryset.select_for_update(of=("self",))
        found.update((invoice.number, invoice) for invoice in invoices_with_open_amount(queryset))
    return found


def _check(lines: list[ImportLine], result: ImportResult, *, lock: bool) -> None:
    invoices = _invoices_by_number({line.invoice_number for line in lines}, lock=lock)
    taken: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in lines:
        invoice = invoices.get(line.invoice_number)
        if invoice is None:
            result.problems.append(
                ImportProblem(
                    line.line,
                    _("Unknown invoice number %(number)s.") % {"number": line.invoice_number},
                )
            )
            continue
        if line.payer_name and (
            invoice.payer is None or invoice.payer.name.casefold() != line.payer_name.casefold()
        ):
            result.problems.append(
                ImportProblem(
                    line.line,
                    _("Invoice %(number)s is not billed to the payer %(payer)s.")
                    % {"number": invoice, "payer": line.payer_name},
                )
            )
            continue
        if line.client_id is not None and invoice.client_id != line.client_id:
            result.problems.append(
                ImportProblem(
                    line.line,
                    _("Invoice %(number)s is not for client %(client)s.")
                    % {"number": invoice, "client": line.client_id},
                )
            )
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
            result.problems.append(ImportProblem(line.line, refusal))
            continue
        taken[invoice.pk] += line.amount
        line.invoice = invoice


def _payment_key(line: ImportLine):
    invoice = line.invoice
    bill_to = ("payer", invoice.payer_id) if invoice.payer_id else ("client", invoice.client_id)
    if not line.reference:
        return (*bill_to, line.line)  # no reference: a payment of its own
    return (*bill_to, line.received_on, line.method, line.reference)


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
    payments = bulk_create_with_history(payments, Payment, batch_size=CHUNK, default_user=by)
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
    bulk_create_with_history(allocations, PaymentAllocation, batch_size=CHUNK, default_user=by)
    invoices_paid_amount_save(invoices=list(invoices.values()), by=by)
    _sessions_mark_paid(invoices=invoices.values(), paid_on=paid_on, by=by)
    for payment in payments:
        if payment.client_id:  # a client's payment is receipted like one recorded by hand
            receipt_issue(payment=payment, by=by)
    result.payments_count = len(payments)
    result.allocations_count = len(allocations)


def payments_import(*, name: str, content: bytes, by=None, dry_run: bool = False) -> ImportResult:
    """Check a payments file and, unless `dry_run` or any row has a problem, record it all.

    Never raises for a bad file: problems come back in `result.problems` with line numbers
    (line 0 = the file as a whole). Constant queries per 2,000 rows.
    """
    result = ImportResult()
    try:
        lines = _lines(name=name, content=content, result=result)
    except ImportFileError as error:
        result.problems.append(ImportProblem(0, str(error)))
        return result
    if dry_run:
        _check(lines, result, lock=False)
    else:
        with transaction.atomic():
            _check(lines, result, lock=True)
            if not result.problems:
                _save(lines, result, by)
                result.saved = True
    result.lines = lines
    result.total_amount = sum((line.amount for line in lines), Decimal("0.00"))
    if dry_run and not result.problems:
        groups = {_payment_key(line) for line in lines}
        result.payments_count = len(groups)
    result.problems.sort(key=lambda problem: problem.line)
    return result
