"""Bad Fit rules: two cancellations in a row or a no-show; one open entry per episode."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.scheduling.models import AppointmentStatus, BadFitEntry, BadFitReason
from backoffice.scheduling.services.bad_fit import bad_fit_evaluate, bad_fit_remove
from tests.factories import AppointmentFactory, ClientFactory

pytestmark = pytest.mark.django_db

S, C, L, N, D = (
    AppointmentStatus.SCHEDULED,
    AppointmentStatus.CANCELLED,
    AppointmentStatus.LATE_CANCELLED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.COMPLETED,
)


# Outcomes are recorded for sessions in the past; the removal test moves past "now".
START = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(weeks=8)


@pytest.fixture
def client_record():
    return ClientFactory()


def history(client, statuses, start_week=0):
    """Book one weekly session per status and record each outcome in order."""
    appointments = []
    for week, status in enumerate(statuses, start=start_week):
        appointment = AppointmentFactory(
            billing_client=client,
            therapist=client.primary_therapist,
            starts_at=START + timedelta(weeks=week),
        )
        appointment.status = status
        appointment.save()
        bad_fit_evaluate(appointment=appointment)
        appointments.append(appointment)
    return appointments


@pytest.mark.parametrize("pair", [(C, C), (C, L), (L, C), (L, L)])
def test_two_cancellations_in_a_row_add_the_client(client_record, pair):
    first, second = history(client_record, pair)
    entry = BadFitEntry.objects.get()
    assert entry.reason == BadFitReason.TWO_CANCELLATIONS
    assert entry.therapist == client_record.primary_therapist
    assert set(entry.appointments.all()) == {first, second}


def test_a_completed_session_between_cancellations_breaks_the_run(client_record):
    history(client_record, [C, D, C])
    assert not BadFitEntry.objects.exists()


def test_one_cancellation_is_not_enough(client_record):
    history(client_record, [D, C])
    assert not BadFitEntry.objects.exists()


def test_a_no_show_adds_the_client_at_once(client_record):
    (no_show,) = history(client_record, [N])
    entry = BadFitEntry.objects.get()
    assert entry.reason == BadFitReason.NO_SHOW
    assert list(entry.appointments.all()) == [no_show]


def test_further_triggers_join_the_open_episode(client_record):
    history(client_record, [N, C, C, N])
    entry = BadFitEntry.objects.get()
    assert entry.appointments.count() == 4


def test_a_new_episode_starts_only_after_removal_and_from_new_events(client_record, superuser):
    history(client_record, [C, C])
    entry = BadFitEntry.objects.get()
    bad_fit_remove(entry=entry, by=superuser, note="Phoned: schedule change, staying.")
    entry.refresh_from_db()
    assert entry.resolved_by == superuser and entry.resolved_at
    assert entry.history.latest().resolution_note.startswith("Phoned")

    after_removal = history(client_record, [C], start_week=9)
    assert not BadFitEntry.objects.filter(resolved_at__isnull=True).exists(), (
        "a cancellation before the removal must not pair with one after it"
    )
    after_removal += history(client_record, [C], start_week=10)
    new = BadFitEntry.objects.get(resolved_at__isnull=True)
    assert set(new.appointments.all()) == set(after_removal)


def test_scheduled_future_sessions_do_not_break_or_make_a_run(client_record):
    first = history(client_record, [C])[0]
    AppointmentFactory(
        billing_client=client_record,
        therapist=client_record.primary_therapist,
        starts_at=first.starts_at + timedelta(days=3),
        status=S,
    )
    history(client_record, [C], start_week=1)
    assert BadFitEntry.objects.count() == 1


def test_an_entry_is_removed_once_and_keeps_its_first_removal(client_record, superuser):
    history(client_record, [N])
    entry = BadFitEntry.objects.get()
    stale = BadFitEntry.objects.get()  # another staff member's page, opened before
    bad_fit_remove(entry=entry, by=superuser, note="Phoned: staying.")

    with pytest.raises(ValidationError, match="already removed"):
        bad_fit_remove(entry=stale, by=superuser, note="Second removal")

    entry.refresh_from_db()
    assert entry.resolution_note == "Phoned: staying."
    assert not entry.history.filter(resolution_note="Second removal").exists()
