"""The staff home counts today's work and links each figure to its filtered list."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.messaging.models import OutboxStatus
from tests.factories import AppointmentFactory, AuthorizationFactory, OutboxMessageFactory

pytestmark = pytest.mark.django_db


def test_dashboard_figures(admin_client):
    today = timezone.localdate()
    late_evening = timezone.make_aware(datetime.combine(today, time(23, 0)))
    AppointmentFactory(starts_at=late_evening, ends_at=late_evening + timedelta(minutes=50))
    AppointmentFactory(
        starts_at=late_evening + timedelta(hours=2), ends_at=late_evening + timedelta(hours=3)
    )
    AuthorizationFactory(valid_until=today + timedelta(days=10))
    AuthorizationFactory(valid_until=today + timedelta(days=40))
    OutboxMessageFactory(status=OutboxStatus.FAILED)
    cards = admin_client.get(reverse("admin:index")).context["caseload_cards"]
    assert [card["value"] for card in cards] == [1, 1, 1, 1]
    for card in cards:
        listed = admin_client.get(card["href"]).context["cl"].result_list
        assert len(listed) == card["value"], card["title"]
