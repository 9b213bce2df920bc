"""The access log in the admin: the privacy officer's read-only report by user, client, what and
date range, exported to a file; administrators only."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.accounts.models import Role
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "admin:access_accessrecord_changelist"


def record(user, client, what, at):
    return AccessRecord.objects.create(
        user=user, username=user.username, what=what, client=client, at=at, path="/x/"
    )


@pytest.fixture
def log(db):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    first, second = ClientFactory(), ClientFactory()
    return {
        "ann-first": record(
            ann, first, AccessKind.CLIENT_RECORD, datetime(2026, 3, 2, 18, tzinfo=UTC)
        ),
        "ann-second": record(ann, second, AccessKind.PDF, datetime(2026, 3, 9, 18, tzinfo=UTC)),
        "bob-first": record(bob, first, AccessKind.EXPORT, datetime(2026, 3, 16, 18, tzinfo=UTC)),
    }


def shown(client, **params):
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.FINANCE, False), (Role.READ_ONLY, False), (None, False)],
)
def test_only_administrators_see_the_access_log(client, staff, role, allowed):
    client.force_login(staff[role])
    status = client.get(reverse(LIST)).status_code
    assert (status == 200) is allowed
    assert status in (200, 403, 302)


def test_nobody_adds_changes_or_deletes_in_the_report(admin_client, log):
    seen = log["ann-first"]
    assert admin_client.get(reverse("admin:access_accessrecord_add")).status_code == 403
    page = admin_client.get(reverse("admin:access_accessrecord_change", args=[seen.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]
    deleting = admin_client.post(
        reverse("admin:access_accessrecord_delete", args=[seen.pk]), {"post": "yes"}
    )
    assert deleting.status_code == 403
    assert AccessRecord.objects.count() == 3


def test_the_report_filters_by_user_client_what_and_dates(admin_client, log):
    ann, first = log["ann-first"].user, log["ann-first"].client
    assert shown(admin_client, user__id__exact=ann.pk) == {
        log["ann-first"].pk,
        log["ann-second"].pk,
    }
    assert shown(admin_client, client__id__exact=first.pk) == {
        log["ann-first"].pk,
        log["bob-first"].pk,
    }
    assert shown(admin_client, what__exact=AccessKind.PDF) == {log["ann-second"].pk}
    week = {"at_from": f"{date(2026, 3, 9):%Y-%m-%d}", "at_to": f"{date(2026, 3, 15):%Y-%m-%d}"}
    assert shown(admin_client, **week) == {log["ann-second"].pk}


def test_reading_the_report_records_nothing(admin_client, log):
    shown(admin_client)
    admin_client.get(reverse("admin:access_accessrecord_change", args=[log["ann-first"].pk]))
    assert AccessRecord.objects.count() == 3


def test_the_report_exports_to_csv_and_the_export_is_recorded(admin_client, log):
    url = reverse("admin:access_accessrecord_export")
    form = admin_client.get(url).context["form"]
    csv_choice = next(value for value, label in form.fields["format"].choices if label == "csv")
    response = admin_client.post(
        f"{url}?client__id__exact={log['ann-first'].client_id}",
        {
            "format": csv_choice,
            "resource": "0",
            **{
                f"accessrecordresource_{name}": "on"
                for name in ("at", "username", "what", "client", "path")
            },
        },
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["username"] for row in rows) == ["ann", "bob"]
    assert {row["what"] for row in rows} == {"Client record", "Export"}
    assert {row["client"] for row in rows} == {str(log["ann-first"].client)}
    exported = AccessRecord.objects.exclude(pk__in=[r.pk for r in log.values()]).get()
    assert (exported.what, exported.client, exported.label) == (
        AccessKind.EXPORT,
        None,
        "access-log",
    )


def test_roles_give_the_access_log_to_administrators_only(roles):
    permission = "view_accessrecord"
    assert roles[Role.ADMIN].permissions.filter(codename=permission).exists()
    for role in (Role.FINANCE, Role.READ_ONLY, Role.THERAPIST, Role.CLIENT):
        assert not roles[role].permissions.filter(content_type__app_label="access").exists()
