"""Exports and imports have their own permissions, held by finance and admin (docs/quality.md,
Staff roles)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.billing.admin.views import payments_import_allowed
from backoffice.billing.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.ADMIN, True), (Role.FINANCE, True), (Role.READ_ONLY, False), (Role.THERAPIST, False)],
)
def test_export_and_import_by_role(roles, role, may):
    user = user_create(username=f"user-{role}", role=role)
    request = RequestFactory().get("/")
    request.user = user
    assert admin.site._registry[Invoice].has_export_permission(request) is may
    assert payments_import_allowed(user) is may
    assert user.has_perm("billing.view_invoice") is (role != Role.THERAPIST)
