"""Property: across any months of runs, a session is paid out exactly once, when it is paid."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from backoffice.payouts.models import Statement, StatementLine, StatementStatus
from backoffice.payouts.services import statements_generate
from backoffice.zone_data import month_bounds
from tests.factories import AppointmentFactory, TherapistFactory, TherapistRateFactory

MONTHS = [date(2026, month, 1) for month in range(1, 7)]


def aware(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


# A session: which therapist, delivered which month and day; paid how many days later (or
# never); entered how many runs after the payment (payments are often recorded late).
sessions_strategy = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.integers(0, len(MONTHS) - 1),
        st.integers(1, 28),
        st.one_of(st.none(), st.integers(0, 120)),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=14,
)
# Per run: which therapists' statements are sent right after it, and whether it runs twice.
runs_strategy = st.lists(
    st.tuples(st.sets(st.integers(0, 1)), st.booleans()),
    min_size=len(MONTHS),
    max_size=len(MONTHS),
)


class PaidOutExactlyOnce(TestCase):
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(sessions=sessions_strategy, runs=runs_strategy)
    def test_every_paid_session_is_paid_out_once_and_never_before_it_is_paid(self, sessions, runs):
        therapists = [TherapistFactory(), TherapistFactory()]
        for therapist in therapists:
            TherapistRateFactory(therapist=therapist, effective_from=date(2025, 1, 1))
        planned = []  # (appointment, paid day or None, run index from which it is entered)
        for n, (who, month, day, paid_after, late_runs) in enumerate(sessions):
            delivered = MONTHS[month].replace(day=day)
            appointment = AppointmentFactory(
                therapist=therapists[who],
                starts_at=aware(delivered, 8 + n % 10),
                attendance="online",
                room=None,
                status="completed",
            )
            paid = delivered + timedelta(days=paid_after) if paid_after is not None else None
            entered = None
            if paid is not None:
                paid_run = next((i for i, m in enumerate(MONTHS) if month_bounds(m)[1] >= paid), 99)
                entered = paid_run + late_runs
            planned.append((appointment, paid, entered))

        for index, (month, (sent_therapists, twice)) in enumerate(zip(MONTHS, runs, strict=True)):
            for appointment, paid, entered in planned:
                if entered is not None and entered <= index and appointment.paid_at is None:
                    appointment.paid_at = aware(paid, 0)
                    appointment.save(update_fields=["paid_at"])
            statements_generate(month=month)
            if twice:
                statements_generate(month=month)
            Statement.objects.filter(
                period_start=month, therapist__in=[therapists[i] for i in sent_therapists]
            ).update(status=StatementStatus.SENT)

        paid_lines = StatementLine.objects.filter(kind="paid").select_related("statement")
        by_session = {}
        for line in paid_lines:
            assert line.appointment_id not in by_session, "paid out twice"
            by_session[line.appointment_id] = line
            # Never paid out before the money came in, nor before the session took place.
            assert line.paid_on <= line.statement.period_end
            assert line.service_date <= line.statement.period_end

        for appointment, _paid, _entered in planned:
            appointment.refresh_from_db()
            if appointment.paid_at is None:
                assert appointment.pk not in by_session, "paid out while unpaid"
            else:
                assert appointment.pk in by_session, "paid but never paid out"

        # The last month's statements hold exactly the sessions still unpaid.
        held = set(
            StatementLine.objects.filter(
                kind="held", statement__period_start=MONTHS[-1]
            ).values_list("appointment_id", flat=True)
        )
        unpaid = {appointment.pk for appointment, *_ in planned if appointment.paid_at is None}
        assert held == unpaid

        for statement in Statement.objects.prefetch_related("lines"):
            paid = [line for line in statement.lines.all() if line.kind == "paid"]
            assert statement.net_amount == sum(line.net_amount for line in paid)
            assert statement.paid_count == len(paid)
