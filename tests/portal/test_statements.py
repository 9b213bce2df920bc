"""A therapist's statements in the portal: their own, once sent, with the PDF."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.payouts.models import StatementStatus
from tests.billing.documents import pdf_text
from tests.factories import StatementFactory, StatementLineFactory, TherapistFactory

pytestmark = pytest.mark.django_db


def test_a_therapist_sees_their_sent_statements_but_not_drafts_nor_others(client):
    mine, theirs = TherapistFactory(), TherapistFactory()
    StatementFactory(therapist=mine, status=StatementStatus.SENT, net_amount=Decimal("840.00"))
    StatementFactory(
        therapist=mine,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
        net_amount=Decimal("999.00"),
    )
    StatementFactory(therapist=theirs, status=StatementStatus.SENT, net_amount=Decimal("777.00"))
    client.force_login(mine.user)

    page = client.get(reverse("portal:statements")).content.decode()

    assert "$840.00" in page
    assert "$999.00" not in page, "drafts may still change"
    assert "$777.00" not in page


def test_the_pdf_is_the_therapists_own_and_nobody_elses(client):
    mine, theirs = TherapistFactory(), TherapistFactory()
    own = StatementLineFactory(
        statement__therapist=mine, statement__status=StatementStatus.SENT
    ).statement
    other = StatementFactory(therapist=theirs, status=StatementStatus.SENT)
    client.force_login(mine.user)

    response = client.get(reverse("portal:statement_pdf", args=[own.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert mine.last_name in pdf_text(response.content)
    assert client.get(reverse("portal:statement_pdf", args=[other.pk])).status_code == 404


def test_statement_list_queries_do_not_grow_with_the_months(client):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    client.get(reverse("portal:statements"))
    counts = []
    for months in ((1, 2), (3, 4, 5, 6, 7, 8, 9, 10)):
        for month in months:
            StatementFactory(
                therapist=therapist,
                status=StatementStatus.PAID,
                paid_on=date(2026, 11, 1),
                period_start=date(2026, month, 1),
                period_end=date(2026, month, 28),
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:statements")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6
