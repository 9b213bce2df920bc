"""Month runs that meet a concurrent run start over, then ask staff to run them again."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from backoffice.bulk import RUN_ATTEMPTS, run_retrying

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
