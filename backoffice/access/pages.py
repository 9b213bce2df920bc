"""The pages that show a client's information, by URL name: what each one shows and how its
clients are found. The access log records them without any code in their views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet

from backoffice.access.models import AccessKind
from backoffice.access.services import Seen
from backoffice.billing.models import Invoice, Receipt
from backoffice.caseload.models import Authorization, Client
from backoffice.payouts.models import Statement
from backoffice.scheduling.models import Appointment

# The appointment list's client filter (its link from a client's page says the same).
APPOINTMENT_CLIENT_FILTER = "billing_client__id__exact"


@dataclass(frozen=True)
class Page:
    what: AccessKind
    model: type[Model]
    client_field: str
    # Which record: the URL's "object_id" (admin) or "pk" (portal), or another rule.
    finds: Callable[[object, dict], QuerySet | None] | None = None


def _record_id(match) -> int | None:
    """The record's id in the URL: "object_id" (admin), "pk" (portal), or the first of a regular
    expression's groups (simple_history's past versions)."""
    value = match.kwargs.get("object_id", match.kwargs.get("pk"))
    if value is None and match.args:
        value = match.args[0]
    return int(value) if str(value).isdigit() else None


def _own_client(request, kwargs) -> QuerySet:
    return Client.objects.filter(user=request.user)


def _filtered_client(request, kwargs) -> QuerySet | None:
    value = request.GET.get(APPOINTMENT_CLIENT_FILTER, "")
    return Client.objects.filter(pk=int(value)) if value.isdigit() else None


CLIENT = Page(AccessKind.CLIENT_RECORD, Client, "pk")
AUTHORIZATION = Page(AccessKind.AUTHORIZATION, Authorization, "client")
APPOINTMENT = Page(AccessKind.APPOINTMENT, Appointment, "clients")
INVOICE_PDF = Page(AccessKind.PDF, Invoice, "lines__client")
RECEIPT_PDF = Page(AccessKind.PDF, Receipt, "payment__client")
STATEMENT = Page(AccessKind.STATEMENT, Statement, "lines__client")
STATEMENT_PDF = Page(AccessKind.PDF, Statement, "lines__client")
PORTAL_CLIENT = Page(AccessKind.PORTAL_PAGE, Client, "pk")
CLIENT_PAGE = Page(AccessKind.CLIENT_PAGE, Client, "pk", _own_client)

PAGES: dict[str, Page] = {
    # Staff (the admin)
    "admin:caseload_client_change": CLIENT,
    "admin:caseload_client_history": CLIENT,
    "admin:caseload_client_simple_history": CLIENT,
    "admin:caseload_authorization_change": AUTHORIZATION,
    "admin:caseload_authorization_history": AUTHORIZATION,
    "admin:caseload_authorization_simple_history": AUTHORIZATION,
    "admin:scheduling_appointment_change": APPOINTMENT,
    "admin:scheduling_appointment_changelist": Page(
        AccessKind.APPOINTMENT_LIST, Client, "pk", _filtered_client
    ),
    "admin:billing_invoice_change": Page(AccessKind.INVOICE, Invoice, "lines__client"),
    "admin:billing_invoice_view_pdf": INVOICE_PDF,
    "admin:billing_invoice_download_pdf": INVOICE_PDF,
    "admin:billing_receipt_change": Page(AccessKind.RECEIPT, Receipt, "payment__client"),
    "admin:billing_receipt_download_pdf": RECEIPT_PDF,
    "admin:payouts_statement_change": STATEMENT,
    "admin:payouts_statement_preview_email": STATEMENT,
    "admin:payouts_statement_view_pdf": STATEMENT_PDF,
    "admin:payouts_statement_download_pdf": STATEMENT_PDF,
    # Therapists (the portal)
    "portal:client": PORTAL_CLIENT,
    "portal:client_request": PORTAL_CLIENT,
    "portal:renewal_upload": Page(AccessKind.PORTAL_PAGE, Authorization, "client"),
    "portal:renewal_document": Page(AccessKind.DOCUMENT, Authorization, "client"),
    "portal:attendance": Page(AccessKind.PORTAL_PAGE, Appointment, "clients"),
    "portal:statement_pdf": STATEMENT_PDF,
    # The client themself
    "client:home": CLIENT_PAGE,
    "client:documents": CLIENT_PAGE,
    "client:preferences": CLIENT_PAGE,
    "client:confirm": Page(AccessKind.CLIENT_PAGE, Appointment, "clients"),
    "client:cancel": Page(AccessKind.CLIENT_PAGE, Appointment, "clients"),
    "client:invoice_pdf": INVOICE_PDF,
    "client:receipt_pdf": RECEIPT_PDF,
}


def seen_on_page(request) -> Seen | None:
    """What the page just answered shows, by its URL name; None for a page not in PAGES."""
    match = request.resolver_match
    page = PAGES.get(match.view_name) if match else None
    if page is None:
        return None
    if page.finds is not None:
        records = page.finds(request, match.kwargs)
        return Seen(page.what, records, page.client_field) if records is not None else None
    object_id = _record_id(match)
    if object_id is None:
        return None
    records = page.model._default_manager.filter(pk=object_id)
    return Seen(page.what, records, page.client_field, object_id)
