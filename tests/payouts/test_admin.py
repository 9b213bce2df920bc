"""The statement admin: month run, sending, payout, preview, documents, roles, read-only pages."""

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.documents.models import SendStatus
from backoffice.messaging.models import OutboxStatus, Purpose
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.services import statements_generate
from backoffice.payouts.services.sending import statement_send
from backoffice.worklist.models import RuleKey
from backoffice.worklist.services import worklist_sweep
from tests.billing.documents import pdf_text
from tests.factories import (
    ClientFactory,
    OutboxMessageFactory,
    StatementFactory,
    TherapistFactory,
    TherapistRateFactory,
)
from tests.payouts.test_statements import OCT, session
from tests.test_list_queries import TASKS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:payouts_statement_changelist"
SEP = date(2026, 9, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def jordan(db):
    """A therapist with a rate (120.00 less 30 %), one session paid and one held in October."""
    therapist = TherapistFactory(first_name="Jordan", last_name="Lee", email="jordan@example.test")
    TherapistRateFactory(therapist=therapist, session_price_amount=Decimal("120.00"))
    client = ClientFactory(first_name="Gaëlle", last_name="Bérubé", primary_therapist=therapist)
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9), billing_client=client)
    session(therapist, date(2026, 10, 7), billing_client=client)
    return therapist


@pytest.fixture
def draft(jordan):
    statements_generate(month=OCT)
    return Statement.objects.get(therapist=jordan)


@pytest.fixture
def sent(draft):
    statement_send(statement=draft)
    draft.refresh_from_db()
    return draft


def url(name, statement):
    return reverse(f"admin:payouts_statement_{name}", args=[statement.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def next_messages(client) -> list[str]:
    return messages_of(client.get(reverse(CHANGELIST)))


def dialog(client, name, statement, **data):
    """Submit a detail action's dialog as unfold's htmx does; the response."""
    return client.post(
        url(name, statement), {"_form_submitted": "True", **data}, HTTP_HX_REQUEST="true"
    )


def login_as(client, role):
    client.force_login(user_create(username=f"user-{role}", role=role))
    return client


# --- the month run --------------------------------------------------------------------------


def test_run_form_creates_the_months_drafts_and_says_what_it_did(admin_client, jordan):
    run_url = reverse("admin:payouts_statement_run_month")
    assert admin_client.get(run_url).status_code == 200

    response = admin_client.post(run_url, {"month": "2026-10-15"}, follow=True)

    statement = Statement.objects.get()
    assert (statement.therapist, statement.status, statement.net_amount) == (
        jordan,
        StatementStatus.DRAFT,
        Decimal("84.00"),
    )
    assert response.redirect_chain[-1][0] == f"{reverse(CHANGELIST)}?month=2026-10"
    assert messages_of(response) == [
        "2026-10: 1 new draft(s), 0 draft(s) regenerated, 0 emptied draft(s) removed, "
        "0 sent or paid statement(s) left as they are; 1 session(s) paid out, 1 held."
    ]
    assert list(response.context["cl"].result_list) == [statement]


def test_run_form_for_one_therapist_leaves_the_others(admin_client, jordan):
    other = TherapistFactory()
    TherapistRateFactory(therapist=other)
    session(other, date(2026, 10, 8), paid=date(2026, 10, 8))

    admin_client.post(
        reverse("admin:payouts_statement_run_month"),
        {"month": "2026-10-01", "therapist": other.pk},
    )

    assert [s.therapist for s in Statement.objects.all()] == [other]


def test_run_problems_are_shown_as_warnings(admin_client, jordan):
    no_rate = TherapistFactory(first_name="Noa", last_name="Rate")
    session(no_rate, date(2026, 10, 8), paid=date(2026, 10, 8))

    response = admin_client.post(
        reverse("admin:payouts_statement_run_month"), {"month": "2026-10-01"}, follow=True
    )

    shown = response.context["messages"]
    warnings = [str(m) for m in shown if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert warnings[0].startswith("Noa Rate: no rate in force for ")
    assert [s.therapist for s in Statement.objects.all()] == [jordan]


def test_a_month_before_go_live_is_a_form_error_not_a_failure(admin_client, draft):
    response = admin_client.post(
        reverse("admin:payouts_statement_run_month"), {"month": "2026-09-10"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["month"] == [
        "Statements start in 2026-10; 2026-09 was settled before Caseload."
    ]
    assert not Statement.objects.filter(period_start=SEP).exists()


# --- sending --------------------------------------------------------------------------------


def test_send_action_emails_the_statement_with_its_pdf(
    admin_client, draft, django_capture_on_commit_callbacks
):
    no_email = TherapistFactory(first_name="Sam", last_name="Nomail", email="")
    TherapistRateFactory(therapist=no_email)
    session(no_email, date(2026, 10, 8), paid=date(2026, 10, 8))
    statements_generate(month=OCT)
    ids = list(Statement.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(CHANGELIST), {"action": "send_selected", "_selected_action": ids}, follow=True
        )

    assert messages_of(response) == [
        "1 statement queued for email.",
        "Sam Nomail · 2026-10: Sam Nomail has no email address.",
    ]
    [email] = mail.outbox
    assert email.to == ["jordan@example.test"]
    [(name, content, mimetype)] = email.attachments
    assert (name, mimetype) == (
        f"statement-2026-10-Lee-{draft.therapist.pk}.pdf",
        "application/pdf",
    )
    assert "84.00" in pdf_text(content)
    draft.refresh_from_db()
    assert (draft.status, draft.send_status) == (StatementStatus.SENT, SendStatus.SENT)


def test_send_dialog_on_the_statement_page(admin_client, draft, django_capture_on_commit_callbacks):
    assert "Email this statement" in admin_client.get(url("send_one", draft)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = dialog(admin_client, "send_one", draft)

    assert "HX-Redirect" in response.headers
    assert next_messages(admin_client) == [
        "Statement Jordan Lee · 2026-10 queued for email to jordan@example.test."
    ]
    assert len(mail.outbox) == 1
    # Sent and delivered: nothing to send again, so the action is no longer offered.
    assert dialog(admin_client, "send_one", draft).status_code == 403


# --- regenerate and payout ------------------------------------------------------------------


def test_regenerate_rebuilds_a_draft_from_todays_payments(admin_client, draft, jordan):
    session(jordan, date(2026, 10, 20), paid=date(2026, 10, 21))

    response = dialog(admin_client, "regenerate_one", draft)

    assert "HX-Redirect" in response.headers
    draft.refresh_from_db()
    assert (draft.paid_count, draft.held_count, draft.net_amount) == (2, 1, Decimal("168.00"))
    assert next_messages(admin_client)[0].startswith("2026-10: 0 new draft(s), 1 draft(s) regen")


def test_regenerating_a_draft_left_without_sessions_removes_it_and_opens_the_month(
    admin_client, draft, jordan
):
    jordan.appointments.update(status="cancelled")

    response = dialog(admin_client, "regenerate_one", draft)

    assert response.headers["HX-Redirect"] == f"{reverse(CHANGELIST)}?month=2026-10"
    assert not Statement.objects.filter(pk=draft.pk).exists()


def test_regenerate_is_for_drafts_only(admin_client, sent):
    assert dialog(admin_client, "regenerate_one", sent).status_code == 403


def test_record_payout_dialog(admin_client, sent):
    today = timezone.localdate()

    refused = dialog(
        admin_client,
        "record_payout",
        sent,
        paid_on=f"{today + timedelta(days=1):%Y-%m-%d}",
        reference="CHQ 1042",
    )
    assert "HX-Redirect" not in refused.headers  # the dialog again, with the service's reason
    assert "The payout date cannot be in the future." in refused.content.decode()
    no_reference = dialog(admin_client, "record_payout", sent, paid_on=f"{today:%Y-%m-%d}")
    assert "HX-Redirect" not in no_reference.headers
    assert "This field is required." in no_reference.content.decode()

    response = dialog(
        admin_client, "record_payout", sent, paid_on=f"{today:%Y-%m-%d}", reference="CHQ 1042"
    )

    assert "HX-Redirect" in response.headers
    sent.refresh_from_db()
    assert (sent.status, sent.paid_on, sent.payout_reference) == (
        StatementStatus.PAID,
        today,
        "CHQ 1042",
    )
    assert next_messages(admin_client) == ["Statement Jordan Lee · 2026-10 marked paid."]


def test_record_payout_is_for_sent_statements_only(admin_client, draft):
    today = f"{timezone.localdate():%Y-%m-%d}"
    page = admin_client.get(url("change", draft)).content.decode()
    assert url("record_payout", draft) not in page
    assert url("regenerate_one", draft) in page
    assert dialog(
        admin_client, "record_payout", draft, paid_on=today, reference="x"
    ).status_code == (403)


def test_one_payout_run_records_every_sent_statement_selected(admin_client, sent, superuser):
    other = TherapistFactory(first_name="Noor", last_name="Haddad")
    TherapistRateFactory(therapist=other)
    session(other, date(2026, 10, 8), paid=date(2026, 10, 9))
    statements_generate(month=OCT)
    still_draft = Statement.objects.get(therapist=other)
    today = timezone.localdate()
    selected = {
        "action": "record_payouts_selected",
        "_selected_action": [sent.pk, still_draft.pk],
    }

    page = admin_client.post(reverse(CHANGELIST), selected)
    assert page.status_code == 200
    assert "Record a payout" in page.content.decode() and "Noor Haddad" in page.content.decode()
    future = admin_client.post(
        reverse(CHANGELIST),
        {
            **selected,
            "_record": "1",
            "paid_on": f"{today + timedelta(days=2):%Y-%m-%d}",
            "reference": "EFT 2026-11",
        },
    )
    assert "The payout date cannot be in the future." in future.content.decode()
    sent.refresh_from_db()
    assert sent.status == StatementStatus.SENT, "nothing changes on a refused form"

    done = admin_client.post(
        reverse(CHANGELIST),
        {**selected, "_record": "1", "paid_on": f"{today:%Y-%m-%d}", "reference": "EFT 2026-11"},
        follow=True,
    )

    assert messages_of(done) == [
        "1 statement marked paid.",
        "Noor Haddad · 2026-10: only a sent statement can be marked paid.",
    ]
    sent.refresh_from_db()
    still_draft.refresh_from_db()
    assert (sent.status, sent.payout_reference) == (StatementStatus.PAID, "EFT 2026-11")
    assert sent.history.first().history_user == superuser
    assert still_draft.status == StatementStatus.DRAFT


# --- pages ----------------------------------------------------------------------------------


def test_preview_shows_the_email_the_therapist_receives(admin_client, draft):
    response = admin_client.get(url("preview_email", draft))

    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["subject"] == "Your statement for October 2026"
    assert "Jordan Lee" in content
    assert "$84.00" in response.context["body"] and "$84.00" in content
    assert "jordan@example.test" in content
    add = reverse("admin:messaging_messagetemplate_add")
    assert f"{add}?purpose=statement&amp;language=en" in content


def test_pdf_view_and_download(admin_client, draft):
    viewed = admin_client.get(url("view_pdf", draft))
    downloaded = admin_client.get(url("download_pdf", draft))

    filename = f"statement-2026-10-Lee-{draft.therapist.pk}.pdf"
    assert viewed["Content-Type"] == downloaded["Content-Type"] == "application/pdf"
    assert viewed["Content-Disposition"] == f'inline; filename="{filename}"'
    assert viewed["X-Frame-Options"] == "SAMEORIGIN"
    assert downloaded["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "Jordan Lee" in pdf_text(downloaded.content)
    assert "84.00" in pdf_text(viewed.content)


def test_the_statement_page_is_read_only_with_its_lines(admin_client, draft):
    response = admin_client.get(url("change", draft))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    content = response.content.decode()
    assert 'name="_save"' not in content
    [lines] = response.context["inline_admin_formsets"]
    assert not (lines.has_add_permission or lines.has_change_permission)
    assert "G. B. · #" in content and "Bérubé" not in content  # the client by initials only
    assert admin_client.post(url("change", draft), {}).status_code == 403
    assert admin_client.get(reverse("admin:payouts_statement_add")).status_code == 403


def test_only_a_draft_may_be_deleted(admin_client, draft, jordan):
    assert admin_client.get(url("delete", draft)).status_code == 200
    statement_send(statement=draft)
    assert admin_client.get(url("delete", draft)).status_code == 403


def test_month_filter_and_search(admin_client, draft):
    other = TherapistFactory(last_name="Tremblay")
    november = Statement.objects.create(
        therapist=other,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        generated_at=timezone.now(),
    )

    def listed(**params):
        response = admin_client.get(reverse(CHANGELIST), params)
        assert response.status_code == 200
        return list(response.context["cl"].result_list)

    assert listed() == [november, draft]  # newest month first
    assert listed(month="2026-10") == [draft]
    assert listed(month="not-a-month") == []
    assert listed(q="lee") == [draft]
    assert listed(status__exact="draft", send_status__exact="not-sent") == [
        november,
        draft,
    ]


# --- exports --------------------------------------------------------------------------------


def test_exports_for_an_administrator(admin_client, draft):
    changelist = reverse(CHANGELIST)
    workbook = admin_client.post(
        changelist, {"action": "export_xlsx", "_selected_action": [draft.pk]}
    )
    assert workbook["Content-Disposition"] == 'attachment; filename="statements.xlsx"'
    assert workbook.content.startswith(b"PK")

    archive = admin_client.post(
        changelist, {"action": "download_pdfs_zip", "_selected_action": [draft.pk]}
    )
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert names == [f"statement-2026-10-Lee-{draft.therapist.pk}.pdf"]

    filtered = admin_client.get(
        reverse("admin:payouts_statement_zip_filtered"), {"month": "2026-11"}
    )
    assert zipfile.ZipFile(io.BytesIO(b"".join(filtered.streaming_content))).namelist() == []
    page = admin_client.get(changelist, {"month": "2026-10"}).content.decode()
    assert "/documents-zip/?month=2026-10" in page  # the list's ZIP keeps its filters


@pytest.mark.parametrize(
    ("role", "may_export", "may_act"),
    [(Role.ADMIN, True, True), (Role.FINANCE, True, True), (Role.READ_ONLY, False, False)],
)
def test_roles(client, roles, draft, role, may_export, may_act):
    login_as(client, role)
    changelist = reverse(CHANGELIST)

    assert client.get(changelist).status_code == 200
    page = client.get(url("change", draft))
    assert page.status_code == 200
    assert client.get(url("preview_email", draft)).status_code == 200
    assert client.get(url("download_pdf", draft)).status_code == 200
    assert (url("send_one", draft) in page.content.decode()) is may_act

    xlsx = client.post(changelist, {"action": "export_xlsx", "_selected_action": [draft.pk]})
    assert (xlsx.get("Content-Type", "").startswith("application/vnd.openxml")) is may_export
    zip_list = client.get(reverse("admin:payouts_statement_zip_filtered"))
    assert zip_list.status_code == (200 if may_export else 403)

    run = client.post(reverse("admin:payouts_statement_run_month"), {"month": "2026-10-01"})
    assert run.status_code == (302 if may_act else 403)
    regenerate = dialog(client, "regenerate_one", draft)
    assert regenerate.status_code == (200 if may_act else 403)
    if may_act:
        assert "HX-Redirect" in regenerate.headers


def test_read_only_role_cannot_send_or_record_payouts(client, roles, sent):
    login_as(client, Role.READ_ONLY)
    today = f"{timezone.localdate():%Y-%m-%d}"
    changelist = reverse(CHANGELIST)

    assert dialog(client, "record_payout", sent, paid_on=today, reference="x").status_code == 403
    client.post(changelist, {"action": "send_selected", "_selected_action": [sent.pk]})
    sent.refresh_from_db()
    assert sent.status == StatementStatus.SENT and sent.paid_on is None
    assert Statement.objects.get().outbox_message_id == sent.outbox_message_id


# --- the dashboard --------------------------------------------------------------------------


def test_a_failed_statement_email_is_a_task_on_the_home(admin_client, draft):
    def failed_messages():
        rows = admin_client.get(reverse("admin:index")).context["worklist"]["all"]
        return [row for row in rows if row["task"].rule == RuleKey.MESSAGE_FAILED]

    worklist_sweep()
    assert failed_messages() == []
    message = OutboxMessageFactory(purpose=Purpose.STATEMENT, status=OutboxStatus.FAILED)
    Statement.objects.filter(pk=draft.pk).update(
        send_status=SendStatus.FAILED, outbox_message=message
    )
    worklist_sweep()

    [row] = failed_messages()
    assert row["url"] == reverse("admin:messaging_outboxmessage_change", args=[message.pk])


@pytest.mark.parametrize(
    "params",
    [{"month": "2026-03"}, {"status__exact": "draft", "send_status__exact": "not-sent"}],
    ids=["month", "status"],
)
def test_filtered_list_queries_are_few_and_constant(admin_client, params):
    changelist = reverse(CHANGELIST)
    admin_client.get(changelist)
    StatementFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(changelist, params).status_code == 200
    StatementFactory.create_batch(20)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(changelist, params)
    assert len(response.context["cl"].result_list) == 22
    assert len(few) == len(many) <= 8, "\n".join(q["sql"] for q in many)
    assert not [q for q in many if "COUNT(" in q["sql"].upper() and TASKS not in q["sql"]]
