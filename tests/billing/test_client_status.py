"""Client colour: red when sessions or time run out, pink once renewal is submitted,
red for a direct client with more than one unpaid session."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backoffice.billing.selectors import ClientStatus, client_status, clients_with_status
from backoffice.caseload.models import Client, ClientKind
from backoffice.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, AuthorizationFactory, ClientFactory

pytestmark = pytest.mark.django_db

RED, PINK, NORMAL = ClientStatus.RED, ClientStatus.PINK, ClientStatus.NORMAL


def today():
    return timezone.localdate()


def completed(authorization, count):
    for _ in range(count):
        AppointmentFactory(
            billing_client=authorization.client,
            therapist=authorization.client.primary_therapist,
            authorization=authorization,
            status=AppointmentStatus.COMPLETED,
        )


@pytest.mark.parametrize(("used", "status"), [(9, NORMAL), (10, RED), (12, RED)])
def test_red_at_the_sessions_left_threshold(used, status):
    authorization = AuthorizationFactory(sessions_approved=12)
    completed(authorization, used)
    assert client_status(client=authorization.client) == status


@pytest.mark.parametrize(("days", "status"), [(0, RED), (14, RED), (15, NORMAL)])
def test_red_when_the_expiry_is_within_14_days(days, status):
    authorization = AuthorizationFactory(valid_until=today() + timedelta(days=days))
    assert client_status(client=authorization.client) == status


def test_thresholds_come_from_settings(settings):
    settings.CLIENT_RED_SESSIONS_LEFT = 5
    settings.CLIENT_RED_EXPIRY_DAYS = 30
    by_sessions = AuthorizationFactory(sessions_approved=5)
    by_expiry = AuthorizationFactory(valid_until=today() + timedelta(days=30))
    assert client_status(client=by_sessions.client) == RED
    assert client_status(client=by_expiry.client) == RED


def test_expired_or_future_authorizations_do_not_make_a_client_red():
    expired = AuthorizationFactory(
        valid_from=today() - timedelta(days=90), valid_until=today() - timedelta(days=1)
    )
    future = AuthorizationFactory(
        sessions_approved=1,
        valid_from=today() + timedelta(days=1),
        valid_until=today() + timedelta(days=5),
    )
    assert client_status(client=expired.client) == NORMAL
    assert client_status(client=future.client) == NORMAL


def test_pink_wins_over_red_for_the_same_authorization():
    authorization = AuthorizationFactory(
        sessions_approved=2, renewal_submitted_at=timezone.now() - timedelta(days=1)
    )
    assert client_status(client=authorization.client) == PINK


def test_another_authorization_running_out_keeps_the_client_red():
    pink = AuthorizationFactory(sessions_approved=1, renewal_submitted_at=timezone.now())
    AuthorizationFactory(client=pink.client, sessions_approved=2)
    assert client_status(client=pink.client) == RED


@pytest.mark.parametrize(("unpaid", "status"), [(0, NORMAL), (1, NORMAL), (2, RED)])
def test_direct_client_is_red_with_more_than_one_unpaid_session(unpaid, status):
    client = ClientFactory(kind=ClientKind.DIRECT)
    for _ in range(unpaid):
        AppointmentFactory(
            billing_client=client,
            therapist=client.primary_therapist,
            status=AppointmentStatus.COMPLETED,
        )
    # Paid, scheduled and missed sessions are not unpaid sessions.
    AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        status=AppointmentStatus.COMPLETED,
        paid_at=timezone.now(),
    )
    AppointmentFactory(billing_client=client, therapist=client.primary_therapist)
    assert client_status(client=client) == status


def test_the_list_form_agrees_with_the_single_client_form():
    red = AuthorizationFactory(sessions_approved=1).client
    pink = AuthorizationFactory(renewal_submitted_at=timezone.now()).client
    normal = AuthorizationFactory().client
    statuses = dict(clients_with_status().values_list("pk", "status"))
    assert statuses == {red.pk: RED, pink.pk: PINK, normal.pk: NORMAL}
    for client in (red, pink, normal):
        assert client_status(client=client) == statuses[client.pk]


def test_a_running_process_follows_the_day_and_the_thresholds(settings):
    """The colour's query is built once a day and process: a new day, or new thresholds,
    build it again."""
    authorization = AuthorizationFactory(valid_until=today() + timedelta(days=20))
    assert client_status(client=authorization.client) == NORMAL
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        assert client_status(client=authorization.client) == RED
    settings.CLIENT_RED_EXPIRY_DAYS = 20
    assert client_status(client=authorization.client) == RED


def test_the_colour_narrows_by_filters_only():
    """The coloured query is built once and narrowed by the caller's filters: anything else on
    the caller's queryset would be dropped silently, so it is refused."""
    with pytest.raises(ValueError, match="filters only"):
        clients_with_status(Client.objects.select_related("primary_therapist"))
    client = ClientFactory()
    narrowed = clients_with_status(Client.objects.filter(pk=client.pk).order_by("-pk"))
    assert [(c.pk, c.status) for c in narrowed.select_related("primary_therapist")] == [
        (client.pk, NORMAL)
    ]
