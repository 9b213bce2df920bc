"""One rule for missed sessions and payer limits: over random months of sessions, payer rules,
invoice runs (in any order) and staff decisions, every authorization's usage equals what is
billed plus what is still billable to its payer, and a run bills exactly what the rule calls
billable."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.billing.selectors import (
    BILLABLE,
    OVER_MISSED_CAP,
    SESSION_COLUMNS,
    authorization_limits,
    authorizations_with_usage,
    payer_limits_apply,
    payer_sessions,
    payer_sessions_unbilled,
)
from backoffice.billing.services import invoices_generate
from backoffice.billing.services.set_aside import set_aside_decide
from backoffice.scheduling.models import Appointment
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    PayerFactory,
    ServiceTypeFactory,
)

pytestmark = pytest.mark.django_db

MONTHS = [date(2026, month, 1) for month in (1, 2, 3, 4)]
RULES = st.sampled_from(["not-billed", "payer", "client"])
payers = st.fixed_dictionaries(
    {
        "late_cancel_billing": RULES,
        "no_show_billing": RULES,
        "missed_sessions_billable_count": st.none() | st.integers(0, 2),
    }
)
authorizations = st.fixed_dictionaries(
    {
        "payer": st.integers(0, 1),
        "sessions_approved": st.integers(1, 5),
        "valid_until": st.sampled_from([date(2026, 2, 14), date(2026, 3, 31), date(2026, 12, 31)]),
    }
)
sessions = st.fixed_dictionaries(
    {
        "authorization": st.integers(0, 2),
        "month": st.integers(1, 4),
        "day": st.integers(1, 27),
        "status": st.sampled_from(
            ["completed", "completed", "late-cancelled", "no-show", "cancelled", "scheduled"]
        ),
        "charged": st.booleans(),
    }
)
months_run = st.lists(st.sampled_from(MONTHS), max_size=6)
decisions = st.lists(st.sampled_from(["bill-client", "extend", "write-off"]), max_size=3)


def still_billable(authorization_ids) -> dict[int, dict[str, int]]:
    """Per authorization, the rule's outcomes for its unbilled payer sessions, by outcome."""
    unbilled = payer_sessions_unbilled(
        Appointment.objects.filter(authorization_id__in=authorization_ids)
    ).order_by("starts_at", "pk")
    rows = list(unbilled.values_list(*SESSION_COLUMNS))
    outcomes = payer_limits_apply(
        sessions=payer_sessions(rows), limits=authorization_limits(authorization_ids)
    )
    counts = {pk: {} for pk in authorization_ids}
    for pk, authorization_id, *_rest in rows:
        outcome = outcomes[pk].outcome
        counts[authorization_id][outcome] = counts[authorization_id].get(outcome, 0) + 1
    return counts


def usage_is_billed_plus_still_billable(authorization_ids):
    outcomes = still_billable(authorization_ids)
    for authorization in authorizations_with_usage().filter(pk__in=authorization_ids):
        counts = outcomes[authorization.pk]
        billable_later = sum(n for outcome, n in counts.items() if outcome != OVER_MISSED_CAP)
        assert authorization.sessions_used_count == (
            authorization.sessions_billed_count + billable_later
        ), (authorization, counts)
    return outcomes


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payer_rules=st.lists(payers, min_size=2, max_size=2),
    authorization_specs=st.lists(authorizations, min_size=3, max_size=3),
    session_specs=st.lists(sessions, max_size=12),
    runs=months_run,
    decided=decisions,
)
def test_usage_equals_billed_plus_still_billable(
    db, payer_rules, authorization_specs, session_specs, runs, decided
):
    with transaction.atomic():
        service_type = ServiceTypeFactory()
        the_payers = [PayerFactory(**rules) for rules in payer_rules]
        the_authorizations = [
            AuthorizationFactory(
                payer=the_payers[spec["payer"]],
                sessions_approved=spec["sessions_approved"],
                valid_from=date(2026, 1, 1),
                valid_until=spec["valid_until"],
            )
            for spec in authorization_specs
        ]
        for i, spec in enumerate(session_specs):
            authorization = the_authorizations[spec["authorization"]]
            starts_at = timezone.make_aware(
                datetime(2026, spec["month"], spec["day"], 8) + timedelta(hours=i)
            )
            missed = spec["status"] in ("late-cancelled", "no-show")
            AppointmentFactory(
                billing_client=authorization.client,
                therapist=authorization.client.primary_therapist,
                service_type=service_type,
                authorization=authorization,
                starts_at=starts_at,
                status=spec["status"],
                missed_session_fee_amount=Decimal("75.00") if missed and spec["charged"] else None,
            )
        ids = [authorization.pk for authorization in the_authorizations]

        for month in runs:
            invoices_generate(month=month)
        outcomes = usage_is_billed_plus_still_billable(ids)

        set_aside = [
            pk
            for pk, outcome in _outcomes_by_session(ids).items()
            if outcome not in (BILLABLE, OVER_MISSED_CAP)
        ]
        for appointment_id, outcome in zip(set_aside, decided, strict=False):
            set_aside_decide(appointment=Appointment(pk=appointment_id), outcome=outcome)
        usage_is_billed_plus_still_billable(ids)

        billed_before = {a.pk: a.sessions_billed_count for a in authorizations_with_usage()}
        outcomes = still_billable(ids)
        for month in MONTHS:
            invoices_generate(month=month)
        for authorization in authorizations_with_usage().filter(pk__in=ids):
            assert authorization.sessions_billed_count == (
                billed_before[authorization.pk] + outcomes[authorization.pk].get(BILLABLE, 0)
            )
        transaction.set_rollback(True)


def _outcomes_by_session(authorization_ids) -> dict[int, str]:
    unbilled = payer_sessions_unbilled(
        Appointment.objects.filter(authorization_id__in=authorization_ids)
    ).order_by("starts_at", "pk")
    outcomes = payer_limits_apply(
        sessions=payer_sessions(unbilled.values_list(*SESSION_COLUMNS)),
        limits=authorization_limits(authorization_ids),
    )
    return {pk: outcome.outcome for pk, outcome in outcomes.items()}
