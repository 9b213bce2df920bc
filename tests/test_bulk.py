"""Month runs that meet a concurrent run start over, then ask staff to run them again; rows
created set-wise keep their history; thousands of ids go to PostgreSQL as one parameter."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from backoffice.billing.models import Payment
from backoffice.bulk import RUN_ATTEMPTS, created_with_history, run_retrying
from tests.factories import PayerFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_run_that_collides_once_starts_over_and_returns():
    attempts = []

    def run():
        attempts.append(1)
        if len(attempts) == 1:
            raise IntegrityError("a concurrent run's row")
        return "done"

    assert run_retrying(run) == "done"
    assert len(attempts) == 2


def test_a_run_that_keeps_colliding_is_refused_with_a_message_not_a_500():
    attempts = []

    def run():
        attempts.append(1)
        raise IntegrityError("a concurrent run's row")

    with pytest.raises(ValidationError, match="run it again"):
        run_retrying(run)
    assert len(attempts) == RUN_ATTEMPTS


def test_rows_created_set_wise_each_have_their_creation_in_the_history():
    by = UserFactory()
    payments = PaymentFactory.build_batch(3, payer=PayerFactory())
    created_with_history(payments, by=by)
    history = Payment.history.filter(id__in=[payment.pk for payment in payments])
    assert sorted(history.values_list("id", "history_type", "history_user", "amount")) == sorted(
        (payment.pk, "+", by.pk, payment.amount) for payment in payments
    )


def test_among_finds_what_in_finds_with_one_parameter_on_postgresql():
    payer, other = PayerFactory(), PayerFactory()
    payments = [*PaymentFactory.create_batch(3, payer=payer), PaymentFactory(payer=other)]
    wanted = [payments[0].pk, payments[2].pk, payments[3].pk]
    many = [*wanted, *range(10**9, 10**9 + 5000)]  # thousands of ids, most of them absent
    with CaptureQueriesContext(connection) as captured:
        found = set(Payment.objects.filter(pk__among=many).values_list("pk", flat=True))
    on_payer = Payment.objects.filter(payer_id__among=[payer.pk]).values_list("pk", flat=True)
    assert found == set(Payment.objects.filter(pk__in=many).values_list("pk", flat=True))
    assert found == set(wanted)
    assert set(on_payer) == {payment.pk for payment in payments[:3]}
    assert not Payment.objects.filter(pk__among=[]).exists()
    with pytest.raises(ValueError, match="list"):  # a URL's "12" is not the ids 1 and 2
        Payment.objects.filter(pk__among="12")
    if connection.vendor == "postgresql":
        assert "= ANY(" in captured[0]["sql"] and " IN (" not in captured[0]["sql"]
