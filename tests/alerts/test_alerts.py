"""A therapist's alerts (docs/rules.md, Therapists' alerts): which authorizations and Bad Fit
entries make one, of whose clients, in what order and words; the badge's count."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.alerts.models import AlertKind
from backoffice.alerts.selectors import Alert, therapist_alert_count, therapist_alerts
from backoffice.caseload.services import (
    authorization_extend,
    authorization_renewal_submit,
    client_deactivate,
)
from backoffice.scheduling.models import BadFitReason
from backoffice.scheduling.services.bad_fit import bad_fit_remove
from tests.alerts.conftest import with_sessions_left
from tests.factories import (
    AuthorizationFactory,
    BadFitEntryFactory,
    ClientFactory,
    PayerFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db


def kinds(therapist):
    return [(alert.kind, alert.authorization_id) for alert in therapist_alerts(therapist=therapist)]


def assert_counted(therapist):
    assert therapist_alert_count(therapist=therapist) == len(therapist_alerts(therapist=therapist))


def submitted_on(day):
    return timezone.make_aware(datetime.combine(day, time(10)))


# --- Sessions left, expiry --------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "kind"),
    [
        (3, None),
        (2, AlertKind.RUNNING_OUT),
        (1, AlertKind.LAST_SESSION),
        (0, AlertKind.LAST_SESSION),
    ],
)
def test_sessions_left_make_running_out_then_last_session(therapist, left, kind):
    authorization = with_sessions_left(therapist, left)
    assert kinds(therapist) == ([(kind, authorization.pk)] if kind else [])
    assert_counted(therapist)


@pytest.mark.parametrize(("days", "alerts"), [(30, True), (31, False)])
def test_an_authorization_ending_within_30_days_is_running_out(therapist, today, days, alerts):
    authorization = AuthorizationFactory(
        client__primary_therapist=therapist, valid_until=today + timedelta(days=days)
    )
    assert kinds(therapist) == ([(AlertKind.RUNNING_OUT, authorization.pk)] if alerts else [])
    assert_counted(therapist)


def test_the_last_session_replaces_running_out_for_its_authorization(therapist, today):
    authorization = with_sessions_left(therapist, 1, valid_until=today + timedelta(days=5))
    assert kinds(therapist) == [(AlertKind.LAST_SESSION, authorization.pk)]


def test_an_authorization_not_in_force_makes_no_running_out_alert(therapist, today):
    with_sessions_left(therapist, 1, valid_from=today + timedelta(days=1))
    with_sessions_left(
        therapist, 1, valid_from=today - timedelta(days=90), valid_until=today - timedelta(days=1)
    )
    assert kinds(therapist) == []
    assert_counted(therapist)


def test_a_running_out_alert_words_the_authorization_and_carries_the_requirements(therapist, today):
    payer = PayerFactory(
        name="Pacific Mutual", renewal_requirements="Form PM-7 and a progress report."
    )
    authorization = with_sessions_left(
        therapist,
        2,
        payer=payer,
        reference_number="PMI-1234",
        valid_until=today + timedelta(days=58),
    )
    client = authorization.client
    assert therapist_alerts(therapist=therapist) == [
        Alert(
            kind=AlertKind.RUNNING_OUT,
            client_id=client.pk,
            client_name=f"{client.last_name}, {client.first_name}",
            authorization_id=authorization.pk,
            payer_name="Pacific Mutual",
            title="2 sessions left (Pacific Mutual, claim PMI-1234), until 2027-01-15",
            requirements="Form PM-7 and a progress report.",
            since=None,
        )
    ]


def test_a_last_session_alert_says_the_next_session_is_the_last_approved(therapist):
    with_sessions_left(therapist, 1, payer=PayerFactory(name="Blue Shore"), reference_number="B-9")
    (alert,) = therapist_alerts(therapist=therapist)
    assert alert.title.startswith("1 session left: the next one is the last approved")
    assert "(Blue Shore, claim B-9)" in alert.title


# --- Renewal waiting ----------------------------------------------------------------------


def test_a_submitted_renewal_waits_for_the_payer_instead_of_running_out(therapist, today):
    payer = PayerFactory(name="Pacific Mutual", renewal_requirements="Form PM-7.")
    authorization = with_sessions_left(therapist, 1, payer=payer, reference_number="PMI-1")
    authorization_renewal_submit(
        authorization=authorization, submitted_at=submitted_on(today - timedelta(days=3))
    )
    (alert,) = therapist_alerts(therapist=therapist)
    assert (alert.kind, alert.authorization_id) == (AlertKind.RENEWAL_WAITING, authorization.pk)
    assert alert.since == today - timedelta(days=3)
    assert alert.requirements == ""  # the documents went: the payer's answer is awaited
    assert alert.title == "Renewal sent 2026-11-15, waiting for Pacific Mutual (claim PMI-1)"
    assert_counted(therapist)


@pytest.mark.parametrize(("ended_days_ago", "alerts"), [(30, True), (31, False)])
def test_a_renewal_waits_until_30_days_after_the_end(therapist, today, ended_days_ago, alerts):
    ended = today - timedelta(days=ended_days_ago)
    authorization = AuthorizationFactory(
        client__primary_therapist=therapist,
        valid_from=ended - timedelta(days=100),
        valid_until=ended,
        renewal_submitted_at=submitted_on(ended - timedelta(days=10)),
    )
    assert kinds(therapist) == ([(AlertKind.RENEWAL_WAITING, authorization.pk)] if alerts else [])
    assert_counted(therapist)


def test_an_extension_ends_the_alerts(therapist, today):
    waiting = with_sessions_left(therapist, 1)
    authorization_renewal_submit(authorization=waiting, submitted_at=timezone.now())
    running_out = with_sessions_left(therapist, 1)
    assert len(therapist_alerts(therapist=therapist)) == 2
    authorization_extend(authorization=waiting, sessions_approved=15)
    authorization_extend(
        authorization=running_out, sessions_approved=15, valid_until=today + timedelta(days=90)
    )
    assert therapist_alerts(therapist=therapist) == []
    assert therapist_alert_count(therapist=therapist) == 0


def test_a_new_authorization_from_the_same_payer_answers_the_renewal(therapist, today):
    waiting = AuthorizationFactory(
        client__primary_therapist=therapist,
        valid_until=today + timedelta(days=3),
        renewal_submitted_at=submitted_on(today - timedelta(days=5)),
    )
    assert kinds(therapist) == [(AlertKind.RENEWAL_WAITING, waiting.pk)]
    AuthorizationFactory(
        client=waiting.client,
        payer=waiting.payer,
        valid_from=today + timedelta(days=4),
        valid_until=today + timedelta(days=200),
    )
    assert kinds(therapist) == []
    assert_counted(therapist)


# --- Bad Fit ------------------------------------------------------------------------------


def test_an_open_bad_fit_entry_alerts_until_staff_remove_it(therapist, today, superuser):
    entry = BadFitEntryFactory(
        client=ClientFactory(primary_therapist=therapist),
        reason=BadFitReason.TWO_CANCELLATIONS,
    )
    (alert,) = therapist_alerts(therapist=therapist)
    assert (alert.kind, alert.client_id, alert.authorization_id) == (
        AlertKind.BAD_FIT,
        entry.client_id,
        None,
    )
    assert (alert.payer_name, alert.requirements, alert.since) == ("", "", today)
    assert alert.title == "On the Bad Fit list since 2026-11-18: Two cancelled sessions in a row"
    assert_counted(therapist)
    bad_fit_remove(entry=entry, by=superuser, note="Spoke with the client; back on track.")
    assert therapist_alerts(therapist=therapist) == []
    assert therapist_alert_count(therapist=therapist) == 0


def test_titles_are_worded_in_the_active_language(therapist):
    BadFitEntryFactory(
        client=ClientFactory(primary_therapist=therapist), reason=BadFitReason.TWO_CANCELLATIONS
    )
    with translation.override("fr-ca"):
        (alert,) = therapist_alerts(therapist=therapist)
    assert alert.title.endswith("Deux séances annulées consécutives")


# --- Whose clients ------------------------------------------------------------------------


def test_another_therapists_clients_never_appear(therapist):
    other = TherapistFactory()
    with_sessions_left(other, 1)
    AuthorizationFactory(client__primary_therapist=other, renewal_submitted_at=timezone.now())
    BadFitEntryFactory(client=ClientFactory(primary_therapist=other), therapist=therapist)
    assert therapist_alerts(therapist=therapist) == []
    assert therapist_alert_count(therapist=therapist) == 0
    assert len(therapist_alerts(therapist=other)) == 3


def test_deactivated_clients_are_left_out(therapist):
    authorization = with_sessions_left(therapist, 1)
    BadFitEntryFactory(client=authorization.client)
    assert len(therapist_alerts(therapist=therapist)) == 2
    client_deactivate(client=authorization.client, note="Moved away.")
    assert therapist_alerts(therapist=therapist) == []
    assert therapist_alert_count(therapist=therapist) == 0


# --- Order, count, queries ----------------------------------------------------------------


def make_one_of_each(therapist, today, prefix):
    """One alert of each kind, each for a new client; the clients' last names sort by kind
    backwards, so the kind decides the order, then the name."""
    bad_fit = ClientFactory(primary_therapist=therapist, last_name=f"{prefix}A")
    BadFitEntryFactory(client=bad_fit)
    AuthorizationFactory(
        client__primary_therapist=therapist,
        client__last_name=f"{prefix}B",
        renewal_submitted_at=timezone.now(),
    )
    with_sessions_left(therapist, 2, client__last_name=f"{prefix}C")
    with_sessions_left(therapist, 1, client__last_name=f"{prefix}D")


def test_alerts_are_listed_by_kind_then_client_name(therapist, today):
    make_one_of_each(therapist, today, "Zed")
    make_one_of_each(therapist, today, "Abe")
    alerts = therapist_alerts(therapist=therapist)
    assert [(alert.kind, alert.client_name.split(",")[0]) for alert in alerts] == [
        (AlertKind.LAST_SESSION, "AbeD"),
        (AlertKind.LAST_SESSION, "ZedD"),
        (AlertKind.RUNNING_OUT, "AbeC"),
        (AlertKind.RUNNING_OUT, "ZedC"),
        (AlertKind.RENEWAL_WAITING, "AbeB"),
        (AlertKind.RENEWAL_WAITING, "ZedB"),
        (AlertKind.BAD_FIT, "AbeA"),
        (AlertKind.BAD_FIT, "ZedA"),
    ]
    assert therapist_alert_count(therapist=therapist) == 8


def queries(function, **arguments):
    with CaptureQueriesContext(connection) as context:
        result = function(**arguments)
    return len(context.captured_queries), result


def test_queries_do_not_grow_with_the_clients(therapist, today):
    make_one_of_each(therapist, today, "First")
    few = queries(therapist_alerts, therapist=therapist)[0]
    few_count = queries(therapist_alert_count, therapist=therapist)[0]
    for n in range(5):
        make_one_of_each(therapist, today, f"More{n}")
    many, alerts = queries(therapist_alerts, therapist=therapist)
    many_count, count = queries(therapist_alert_count, therapist=therapist)
    assert (len(alerts), count) == (24, 24)
    assert few == many == 2
    assert few_count == many_count == 1


def test_the_client_pages_header_counts_the_alerts_the_list_shows(client):
    therapist = TherapistFactory()
    running_out = with_sessions_left(therapist, 1)
    BadFitEntryFactory(client=ClientFactory(primary_therapist=therapist))
    with_sessions_left(TherapistFactory(), 1)  # another therapist's
    client.force_login(therapist.user)

    response = client.get(reverse("portal:client", args=[running_out.client_id]))

    assert response.context["alert_count"] == len(therapist_alerts(therapist=therapist)) == 2
