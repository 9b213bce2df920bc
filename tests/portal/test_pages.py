"""The therapist portal's pages: what they show, and every change going through the domain's
services with its rules (docs/rules.md)."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from backoffice.billing.selectors import ClientStatus, client_status
from backoffice.caseload.models import (
    Authorization,
    ClientKind,
    ClientStatusRequest,
)
from backoffice.caseload.services import client_status_request_decide
from backoffice.scheduling.models import AppointmentStatus, BadFitEntry
from backoffice.worklist.models import RuleKey, Task
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    PayerFactory,
    RoomReservationFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def signed_in(client, therapist):
    client.force_login(therapist.user)
    return client


def session(therapist, *, hours_from_now: float, **fields):
    start = timezone.now() + timedelta(hours=hours_from_now)
    return AppointmentFactory(
        therapist=therapist,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        **fields,
    )


def test_my_clients_show_colour_payer_and_the_authorization_in_force(client):
    therapist = TherapistFactory()
    payer = PayerFactory(name="Pacific Mutual")
    running_out = AuthorizationFactory(
        client__primary_therapist=therapist, client__last_name="Gagné", payer=payer
    )
    running_out.sessions_approved = 2
    running_out.save()
    ClientFactory(primary_therapist=therapist, last_name="Tremblay")

    page = signed_in(client, therapist).get(reverse("portal:clients")).content.decode()

    assert "Gagné" in page and "Tremblay" in page
    assert "Pacific Mutual" in page
    assert "2 · 0 · 0 · 2" in page, "approved · used · billed · left"
    assert "row-red" in page


def test_my_clients_filter_by_colour_and_payer(client):
    therapist = TherapistFactory()
    red = AuthorizationFactory(client__primary_therapist=therapist, sessions_approved=1)
    pink = AuthorizationFactory(
        client__primary_therapist=therapist, renewal_submitted_at=timezone.now()
    )
    plain = ClientFactory(primary_therapist=therapist)
    signed_in(client, therapist)

    def listed(**query):
        response = client.get(reverse("portal:clients"), query)
        return {row.pk for row in response.context["table"].data}

    assert listed(colour=ClientStatus.RED) == {red.client_id}
    assert listed(colour=ClientStatus.PINK) == {pink.client_id}
    assert listed(colour=ClientStatus.NORMAL) == {plain.pk}
    assert listed(payer=pink.payer_id) == {pink.client_id}


def test_my_clients_page_queries_do_not_grow_with_clients_or_authorizations(client):
    therapist = TherapistFactory()
    signed_in(client, therapist).get(reverse("portal:clients"))
    counts = []
    for extra in (2, 20):
        for _ in range(extra):
            AuthorizationFactory(client__primary_therapist=therapist)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:clients")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


def test_the_client_page_shows_usage_sessions_and_payments_of_a_direct_client(client):
    therapist = TherapistFactory()
    mine = ClientFactory(primary_therapist=therapist, kind=ClientKind.DIRECT)
    for days_ago, paid in ((2, True), (3, False), (4, False)):
        session(
            therapist,
            hours_from_now=-24 * days_ago,
            billing_client=mine,
            status=AppointmentStatus.COMPLETED,
            paid_at=timezone.now() if paid else None,
        )
    session(therapist, hours_from_now=30, billing_client=mine)

    response = signed_in(client, therapist).get(reverse("portal:client", args=[mine.pk]))

    assert response.context["payments"]["client_paid"] == 1
    assert response.context["payments"]["client_unpaid"] == 2
    assert len(response.context["upcoming"].rows) == 1
    assert len(response.context["past"].rows) == 3
    assert response.context["client"].status == ClientStatus.RED


def test_uploading_renewal_documents_turns_the_client_pink_and_gives_staff_a_task(
    client, django_capture_on_commit_callbacks
):
    therapist = TherapistFactory()
    authorization = AuthorizationFactory(client__primary_therapist=therapist, sessions_approved=1)
    assert client_status(client=authorization.client) == ClientStatus.RED

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, therapist).post(
            reverse("portal:renewal_upload", args=[authorization.pk]),
            {"document": SimpleUploadedFile("report.pdf", PDF), "note": "Progress report"},
        )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.renewal_submitted_by == therapist.user
    assert authorization.renewal_document.read() == PDF
    assert client_status(client=authorization.client) == ClientStatus.PINK
    task = Task.objects.get(rule=RuleKey.RENEWAL_DOCUMENTS, subject_id=authorization.pk)
    assert therapist.last_name in task.facts["therapist"]
    download = client.get(reverse("portal:renewal_document", args=[authorization.pk]))
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    "upload, problem",
    [
        (SimpleUploadedFile("report.pdf", b"MZ\x90 not a pdf"), "Only PDF, JPEG or PNG"),
        (SimpleUploadedFile("big.pdf", PDF + b"0" * 200), "at most"),
    ],
)
@override_settings(UPLOAD_MAX_BYTES=128)
def test_a_renewal_upload_that_is_not_a_document_or_too_big_changes_nothing(
    client, upload, problem
):
    therapist = TherapistFactory()
    authorization = AuthorizationFactory(client__primary_therapist=therapist)

    response = signed_in(client, therapist).post(
        reverse("portal:renewal_upload", args=[authorization.pk]), {"document": upload}
    )

    assert response.status_code == 200
    assert problem in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.renewal_submitted_at is None and not authorization.renewal_document


def test_renewal_documents_are_not_taken_twice(client):
    therapist = TherapistFactory()
    authorization = AuthorizationFactory(
        client__primary_therapist=therapist, renewal_submitted_at=timezone.now()
    )
    response = signed_in(client, therapist).post(
        reverse("portal:renewal_upload", args=[authorization.pk]),
        {"document": SimpleUploadedFile("report.pdf", PDF)},
    )
    assert "already sent" in response.content.decode()
    assert not Authorization.objects.get(pk=authorization.pk).renewal_document


def test_a_deactivation_request_reaches_staff_and_the_answer_comes_back(
    client, superuser, django_capture_on_commit_callbacks
):
    therapist = TherapistFactory()
    mine = ClientFactory(primary_therapist=therapist)
    signed_in(client, therapist)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:client_request", args=[mine.pk]), {"reason": "Moved away"})

    request = ClientStatusRequest.objects.get(client=mine)
    assert request.action == "deactivate" and request.therapist == therapist
    assert Task.objects.filter(rule=RuleKey.CLIENT_STATUS_REQUEST, subject_id=mine.pk).exists()
    client_status_request_decide(request=request, approve=True, by=superuser, note="Done")
    home = client.get(reverse("portal:home")).content.decode()
    assert "Approved" in home and "Done" in home
    mine.refresh_from_db()
    assert not mine.is_active


def test_a_request_without_a_reason_is_refused(client):
    therapist = TherapistFactory()
    mine = ClientFactory(primary_therapist=therapist)
    response = signed_in(client, therapist).post(
        reverse("portal:client_request", args=[mine.pk]), {"reason": "  "}
    )
    assert response.status_code == 200
    assert not ClientStatusRequest.objects.exists()


def test_recording_a_no_show_applies_the_bad_fit_rule(client):
    therapist = TherapistFactory()
    missed = session(therapist, hours_from_now=-3)

    signed_in(client, therapist).post(
        reverse("portal:attendance", args=[missed.pk]), {"outcome": AppointmentStatus.NO_SHOW}
    )

    missed.refresh_from_db()
    assert missed.status == AppointmentStatus.NO_SHOW
    assert missed.history.first().history_user == therapist.user
    assert BadFitEntry.objects.filter(client=missed.billing_client).exists()


def test_after_recording_attendance_only_a_page_of_this_site_is_followed(client):
    therapist = TherapistFactory()
    signed_in(client, therapist)

    def record(next_page):
        url = reverse("portal:attendance", args=[session(therapist, hours_from_now=-3).pk])
        return client.post(f"{url}?next={next_page}", {"outcome": AppointmentStatus.NO_SHOW})

    assert record("https://evil.example/").url == reverse("portal:schedule")
    assert record("/portal/clients/").url == "/portal/clients/"


def test_attendance_follows_the_rules_staff_follow(client):
    therapist = TherapistFactory()
    later = session(therapist, hours_from_now=5)
    signed_in(client, therapist)
    url = reverse("portal:attendance", args=[later.pk])

    early = client.post(url, {"outcome": AppointmentStatus.COMPLETED})
    assert "cannot be marked completed before" in early.content.decode()
    in_time = client.post(url, {"outcome": AppointmentStatus.CANCELLED})
    assert "late cancellation" in in_time.content.decode()
    later.refresh_from_db()
    assert later.status == AppointmentStatus.SCHEDULED

    client.post(url, {"outcome": AppointmentStatus.LATE_CANCELLED})
    later.refresh_from_db()
    assert later.status == AppointmentStatus.LATE_CANCELLED
    assert later.missed_session_fee_amount is None, "a fee is staff's decision"


def test_the_schedule_lists_today_upcoming_and_past_sessions(client):
    therapist = TherapistFactory()
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 6, 10, 12)), tick=False):
        earlier = session(therapist, hours_from_now=-30)
        today = session(therapist, hours_from_now=2)
        next_week = session(therapist, hours_from_now=24 * 8)
        signed_in(client, therapist)

        def listed(period):
            response = client.get(reverse("portal:schedule"), {"period": period})
            return [row.pk for row in response.context["table"].data]

        assert listed("today") == [today.pk]
        assert listed("upcoming") == [today.pk, next_week.pk]
        assert listed("past") == [earlier.pk]
        assert listed("week") == [earlier.pk, today.pk]


def test_the_week_view_shows_sessions_and_room_blocks_by_day(client):
    therapist = TherapistFactory()
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 6, 10, 8)), tick=False):
        wednesday = session(therapist, hours_from_now=2)
        RoomReservationFactory(therapist=therapist, weekday=2, room=wednesday.room)
        response = signed_in(client, therapist).get(reverse("portal:week"))
    days = response.context["days"]
    assert [len(d.entries) for d in days] == [0, 0, 1, 0, 0, 0, 0]
    assert [len(d.reservations) for d in days] == [0, 0, 1, 0, 0, 0, 0]


def test_my_rooms_show_my_reservations_and_how_much_i_used_them(client):
    therapist, other = TherapistFactory(), TherapistFactory()
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 6, 10, 14)), tick=False):
        mine = RoomReservationFactory(therapist=therapist, weekday=0)
        RoomReservationFactory(therapist=other, weekday=1)
        response = signed_in(client, therapist).get(reverse("portal:rooms"))
    assert list(response.context["reservations"]) == [mine]
    last_month = response.context["utilization"][1][1]
    assert [row.key for row in last_month.rooms] == [mine.room_id]
    assert last_month.rooms[0].reserved_hours == Decimal("16.00"), "four Mondays of 4 h in May"


@pytest.mark.parametrize("page", ["home", "client", "week", "rooms"])
def test_portal_pages_queries_do_not_grow_with_the_caseload(client, page):
    therapist = TherapistFactory()
    mine = ClientFactory(primary_therapist=therapist)
    url = reverse(f"portal:{page}", args=[mine.pk] if page == "client" else [])
    signed_in(client, therapist).get(url)
    counts = []
    hours = itertools.count(1)  # one therapist's sessions never overlap
    for extra in (1, 8):
        for n in range(extra):
            AuthorizationFactory(client=mine, sessions_approved=1)
            session(therapist, hours_from_now=-next(hours), billing_client=mine)
            session(therapist, hours_from_now=next(hours), billing_client=mine)
            RoomReservationFactory(therapist=therapist, weekday=n % 7)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    # The client's page writes its access record (one INSERT) within the 8.
    assert counts[0] == counts[1] <= 8, page


def test_a_therapist_deactivated_while_signed_in_is_signed_out(client):
    therapist = TherapistFactory()
    signed_in(client, therapist)
    therapist.is_active = False
    therapist.save()
    response = client.get(reverse("portal:clients"))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]
    assert "_auth_user_id" not in client.session
