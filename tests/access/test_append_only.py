"""The access log is append-only for everyone but its retention job: refused by the model, its
queryset and the database itself (a trigger on SQLite and PostgreSQL), and the job removes only
the records past ACCESS_LOG_RETENTION_DAYS."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from backoffice.access.models import AccessKind, AccessLogAppendOnly, AccessRecord
from backoffice.access.services import RETENTION_MINIMUM_DAYS, access_records_purge
from backoffice.caseload.models import Client
from fixtures.demo import demo_flush
from jobs.tasks import access_log_retention_task
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 19, tzinfo=UTC)


def record(*, at=NOW, **fields):
    user = fields.pop("user", None) or UserFactory()
    return AccessRecord.objects.create(
        user=user,
        username=user.username,
        at=at,
        what=AccessKind.CLIENT_RECORD,
        client=ClientFactory(),
        path="/admin/caseload/client/1/change/",
        **fields,
    )


def test_a_record_is_never_saved_again():
    seen = record()
    seen.path = "/elsewhere/"
    with pytest.raises(AccessLogAppendOnly):
        seen.save()


def test_a_record_is_never_deleted_by_the_model_or_its_queryset():
    seen = record()
    with pytest.raises(AccessLogAppendOnly):
        seen.delete()
    with pytest.raises(AccessLogAppendOnly):
        AccessRecord.objects.all().delete()
    with pytest.raises(AccessLogAppendOnly):
        AccessRecord.objects.filter(pk=seen.pk).update(path="/elsewhere/")
    assert AccessRecord.objects.get().path == seen.path


def _refused(sql, params):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_an_update_in_sql():
    seen = record()
    _refused("UPDATE access_accessrecord SET path = %s WHERE id = %s", ["/elsewhere/", seen.pk])
    assert AccessRecord.objects.get().path == seen.path


def test_the_database_refuses_a_delete_in_sql_even_of_an_old_record():
    old = record(at=NOW - timedelta(days=20 * 365))
    _refused("DELETE FROM access_accessrecord WHERE id = %s", [old.pk])
    _refused("DELETE FROM access_accessrecord", [])
    assert AccessRecord.objects.count() == 1


@override_settings(ACCESS_LOG_RETENTION_DAYS=400)
def test_the_retention_job_removes_only_records_past_the_retention_period():
    past = record(at=NOW - timedelta(days=401))
    kept = record(at=NOW - timedelta(days=399))
    with time_machine.travel(NOW, tick=False):
        assert access_records_purge() == 1
    assert list(AccessRecord.objects.all()) == [kept]
    assert not AccessRecord.objects.filter(pk=past.pk).exists()
    # The job's permission ends with it.
    _refused("DELETE FROM access_accessrecord WHERE id = %s", [kept.pk])


@override_settings(ACCESS_LOG_RETENTION_DAYS=30)
def test_no_setting_makes_the_job_remove_a_record_younger_than_the_minimum():
    young = record(at=NOW - timedelta(days=RETENTION_MINIMUM_DAYS - 1))
    with time_machine.travel(NOW, tick=False):
        assert access_records_purge() == 0
    assert list(AccessRecord.objects.all()) == [young]


def test_the_retention_job_is_one_statement_however_many_records(django_assert_num_queries):
    for days in (4000, 4001, 4002):
        record(at=NOW - timedelta(days=days))
    with (
        time_machine.travel(NOW, tick=False),
        django_assert_num_queries(
            # savepoint, (mark on,) DELETE, (mark off,) release
            5 if connection.vendor == "postgresql" else 3
        ),
    ):
        assert access_records_purge() == 3


def test_the_demo_flush_takes_the_access_log_with_the_clinic():
    seen = record(at=NOW)
    demo_flush()
    assert not AccessRecord.objects.exists()
    assert not Client.objects.filter(pk=seen.client_id).exists()
    later = record(at=NOW)  # and the log is append-only again
    _refused("DELETE FROM access_accessrecord WHERE id = %s", [later.pk])


def test_the_nightly_job_applies_the_retention(settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 400
    record(at=NOW - timedelta(days=500))
    kept = record(at=NOW - timedelta(days=10))
    with time_machine.travel(NOW, tick=False):
        access_log_retention_task.call_local()
    assert list(AccessRecord.objects.all()) == [kept]
