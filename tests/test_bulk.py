"""Month runs that meet a concurrent run start over, then ask staff to run them again; rows
created set-wise keep their history."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

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
