"""Caseload's admin, one module per model family: clients, authorizations, therapists and their
rates, payers and their rates, service types, therapists' requests about clients; the colour's
display, forms and custom pages beside them."""

from backoffice.caseload.admin import (
    authorizations,
    clients,
    payers,
    requests,
    service_types,
    therapists,
)

__all__ = ["authorizations", "clients", "payers", "requests", "service_types", "therapists"]
