"""Therapists' portal accounts: staff invite them, they choose a password from the emailed link
(once, until PASSWORD_RESET_TIMEOUT), reset it by email through the outbox, and only an active
therapist's own account signs in to the portal; idle sessions end."""

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.caseload.services import therapist_invite
from backoffice.fields import Language
from backoffice.messaging.models import Channel, OutboxMessage, Purpose
from tests.factories import TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db

VANCOUVER = ZoneInfo("America/Vancouver")
# Mid-morning in Vancouver: the link works until 14 March 2026, 10:00.
INVITED = datetime(2026, 3, 11, 10, 0, tzinfo=VANCOUVER)
PASSWORD = "a-long-therapist-passphrase-2026"
LINK = re.compile(r"(\S+/portal/password/set/\S+/\S+/)")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(INVITED, tick=False)
    return time_machine


@pytest.fixture
def staff(roles):
    return user_create(username="office", role=Role.ADMIN, email="office@clinic.test")


def link_in(message: OutboxMessage) -> str:
    """The path of the password link in an email, after checking it is absolute on SITE_URL."""
    url = LINK.search(message.body_text).group(1)
    assert url.startswith(f"{settings.SITE_URL}/portal/password/set/")
    return urlsplit(url).path


def set_password(client, path: str, password: str = PASSWORD):
    """Follow an emailed link as a browser does and choose `password`."""
    opened = client.get(path)
    if opened.status_code != 302:  # an invalid link shows its page, no form
        return opened
    form_url = opened["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("portal:login"), {"username": username, "password": password})


# --- Invitation ---------------------------------------------------------------------------


def test_an_invitation_emails_one_link_that_sets_the_password_then_the_therapist_signs_in(
    client, clock, staff
):
    therapist = TherapistFactory()
    assert not therapist.user.has_role(Role.THERAPIST)

    therapist_invite(therapist=therapist, by=staff)

    message = OutboxMessage.objects.get()
    assert (message.channel, message.purpose, message.recipient) == (
        Channel.EMAIL,
        Purpose.SIGN_IN,
        therapist.email,
    )
    assert therapist.user.username in message.body_text
    therapist.refresh_from_db()
    assert therapist.invited_at == INVITED
    assert therapist.user.is_active and therapist.user.has_role(Role.THERAPIST)
    assert therapist.history.first().history_user == staff

    done = set_password(client, link_in(message))
    assert done.status_code == 302 and done["Location"] == reverse("portal:login")
    assert "Your password is set" in client.get(done["Location"]).content.decode()

    signed_in = sign_in(client, therapist.user.username)
    assert signed_in.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_link_works_once(client, clock, staff):
    therapist = TherapistFactory()
    path = link_in(therapist_invite(therapist=therapist, by=staff))
    assert set_password(client, path).status_code == 302

    again = set_password(client, path, "someone-elses-passphrase-2026")
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert sign_in(client, therapist.user.username).status_code == 302  # the first password


def test_a_link_stops_working_after_the_timeout(client, clock, staff):
    assert settings.PASSWORD_RESET_TIMEOUT == 3 * 24 * 60 * 60
    therapist = TherapistFactory()
    path = link_in(therapist_invite(therapist=therapist, by=staff))

    clock.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
    expired = set_password(client, path)
    assert expired.status_code == 200
    assert not expired.context["validlink"]
    assert "This link no longer works" in expired.content.decode()
    therapist.user.refresh_from_db()
    assert not therapist.user.has_usable_password()


def test_a_link_still_works_just_before_the_timeout(client, clock, staff):
    therapist = TherapistFactory()
    path = link_in(therapist_invite(therapist=therapist, by=staff))
    clock.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60))
    assert set_password(client, path).status_code == 302


def test_inviting_again_sends_a_new_link_and_the_old_one_stops_working(client, clock, staff):
    therapist = TherapistFactory()
    first = link_in(therapist_invite(therapist=therapist, by=staff))
    clock.shift(timedelta(hours=2))
    second = link_in(therapist_invite(therapist=therapist, by=staff))

    assert OutboxMessage.objects.count() == 2
    assert first != second
    assert set_password(client, first).status_code == 200  # replaced
    assert set_password(client, second).status_code == 302


def test_the_email_is_written_in_the_therapists_language(clock, staff):
    english = TherapistFactory(preferred_language=Language.ENGLISH)
    french = TherapistFactory(preferred_language=Language.FRENCH)
    in_english = therapist_invite(therapist=english, by=staff).body_text
    in_french = therapist_invite(therapist=french, by=staff).body_text
    # The link's end, written out in the language active while the email is built.
    assert "until 14 March 2026" in in_english
    assert "14 mars 2026" in in_french and "March" not in in_french


def test_a_therapist_without_an_email_is_not_invited(staff):
    therapist = TherapistFactory(email="")
    with pytest.raises(ValidationError, match="has no email address"):
        therapist_invite(therapist=therapist, by=staff)
    therapist.refresh_from_db()
    assert therapist.invited_at is None
    assert not OutboxMessage.objects.exists()


def test_an_inactive_therapist_is_not_invited(staff):
    therapist = TherapistFactory(is_active=False)
    with pytest.raises(ValidationError, match="not active"):
        therapist_invite(therapist=therapist, by=staff)
    assert not OutboxMessage.objects.exists()


def test_a_therapist_on_a_staff_account_is_not_invited(staff):
    """The link would set a staff account's password, from the therapist's mailbox."""
    therapist = TherapistFactory(user=UserFactory(is_staff=True))
    with pytest.raises(ValidationError, match="staff account"):
        therapist_invite(therapist=therapist, by=staff)
    assert not OutboxMessage.objects.exists()


def test_an_invitation_keeps_a_password_already_chosen(client, clock, staff):
    therapist = TherapistFactory()
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    therapist_invite(therapist=therapist, by=staff)
    assert sign_in(client, therapist.user.username).status_code == 302


# --- The admin's action -------------------------------------------------------------------


def test_staff_invite_selected_therapists_from_the_list(client, staff):
    therapists = TherapistFactory.create_batch(2)
    client.force_login(staff)
    response = client.post(
        reverse("admin:caseload_therapist_changelist"),
        {"action": "invite_to_portal", "_selected_action": [t.pk for t in therapists]},
        follow=True,
    )
    assert "2 therapists invited" in response.content.decode()
    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == sorted(
        t.email for t in therapists
    )


def test_the_list_action_reports_a_therapist_without_an_email(client, staff):
    therapist = TherapistFactory(email="", last_name="Sansadresse")
    client.force_login(staff)
    response = client.post(
        reverse("admin:caseload_therapist_changelist"),
        {"action": "invite_to_portal", "_selected_action": [therapist.pk]},
        follow=True,
    )
    assert "Sansadresse has no email address" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_staff_invite_one_therapist_from_their_page(client, staff):
    therapist = TherapistFactory()
    client.force_login(staff)
    url = reverse("admin:caseload_therapist_invite", args=[therapist.pk])
    assert client.get(url).status_code == 200  # the dialog; nothing sent yet
    assert not OutboxMessage.objects.exists()
    response = client.post(url, {"_form_submitted": "True"})
    assert response.status_code == 302
    assert OutboxMessage.objects.get().recipient == therapist.email


def test_read_only_staff_cannot_invite(client, roles):
    therapist = TherapistFactory()
    client.force_login(user_create(username="reader", role=Role.READ_ONLY))
    client.post(
        reverse("admin:caseload_therapist_changelist"),
        {"action": "invite_to_portal", "_selected_action": [therapist.pk]},
    )
    detail = client.post(
        reverse("admin:caseload_therapist_invite", args=[therapist.pk]),
        {"_form_submitted": "True"},
    )
    assert detail.status_code == 403
    assert not OutboxMessage.objects.exists()
    therapist.refresh_from_db()
    assert therapist.invited_at is None


# --- Password reset by email --------------------------------------------------------------


def ask_reset(client, email: str):
    return client.post(reverse("portal:password_reset"), {"email": email}, follow=True)


def test_the_login_page_offers_a_reset(client):
    page = client.get(reverse("portal:login")).content.decode()
    assert reverse("portal:password_reset") in page


def test_a_reset_emails_the_therapist_a_link_that_sets_a_new_password(client, clock):
    therapist = TherapistFactory(email="Helene.Cote@example.test")
    therapist.user.set_password("the-forgotten-passphrase-2026")
    therapist.user.save()

    response = ask_reset(client, "helene.cote@example.test")
    assert response.redirect_chain[-1][0] == reverse("portal:password_reset_done")

    message = OutboxMessage.objects.get()
    assert message.recipient == therapist.email
    assert message.purpose == Purpose.SIGN_IN
    assert set_password(client, link_in(message)).status_code == 302
    assert sign_in(client, therapist.user.username).status_code == 302
    client.logout()
    old = sign_in(client, therapist.user.username, "the-forgotten-passphrase-2026")
    assert old.status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_queued(client):
    therapist = TherapistFactory()
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    unknown = ask_reset(client, "nobody@example.test")
    assert not OutboxMessage.objects.exists()
    known = ask_reset(client, therapist.email)
    assert OutboxMessage.objects.count() == 1
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content == known.content


def test_a_reset_emails_no_staff_account(client, roles):
    user_create(username="office", role=Role.ADMIN, email="office@clinic.test", password=PASSWORD)
    ask_reset(client, "office@clinic.test")
    staff_therapist = TherapistFactory(user=UserFactory(is_staff=True))
    staff_therapist.user.set_password(PASSWORD)
    staff_therapist.user.save()
    ask_reset(client, staff_therapist.email)
    assert not OutboxMessage.objects.exists()


def test_a_reset_emails_no_inactive_or_never_invited_therapist(client):
    inactive = TherapistFactory(is_active=False)
    inactive.user.set_password(PASSWORD)
    inactive.user.save()
    never_invited = TherapistFactory()  # no password, not invited: staff decide who comes in
    ask_reset(client, inactive.email)
    ask_reset(client, never_invited.email)
    assert not OutboxMessage.objects.exists()


def test_an_invited_therapist_whose_link_expired_can_ask_for_another(client, clock, staff):
    therapist = TherapistFactory()
    therapist_invite(therapist=therapist, by=staff)
    clock.shift(timedelta(days=4))
    ask_reset(client, therapist.email)
    reset = OutboxMessage.objects.latest("pk")
    assert "reset your password" in reset.body_text
    assert set_password(client, link_in(reset)).status_code == 302


def test_asking_again_and_again_queues_one_email_per_window(client, clock):
    therapist = TherapistFactory()
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    for _ in range(5):
        ask_reset(client, therapist.email)
    assert OutboxMessage.objects.count() == 1
    clock.shift(timedelta(minutes=11))
    ask_reset(client, therapist.email)
    assert OutboxMessage.objects.count() == 2


def test_a_reset_email_is_in_the_therapists_language(client, clock):
    therapist = TherapistFactory(preferred_language=Language.FRENCH)
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    ask_reset(client, therapist.email)
    assert "14 mars 2026" in OutboxMessage.objects.get().body_text


@pytest.mark.parametrize(("uidb64", "token"), [("abc", "abc-def"), ("OTk5OTk5", "set-password")])
def test_a_made_up_link_says_it_no_longer_works(client, uidb64, token):
    path = reverse("portal:password_set", kwargs={"uidb64": uidb64, "token": token})
    for response in (client.get(path), client.post(path, {"new_password1": PASSWORD})):
        assert response.status_code == 200
        assert not response.context["validlink"]


def test_a_link_for_a_staff_account_sets_nothing_on_the_portal(client):
    """Even a valid token (Django's, made some other way) cannot set a staff password here."""
    staff = UserFactory(is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    token = default_token_generator.make_token(staff)
    path = reverse("portal:password_set", kwargs={"uidb64": uid, "token": token})
    response = set_password(client, path, "a-takeover-passphrase-2026")
    assert response.status_code == 200
    assert not response.context["validlink"]
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


# --- Sign-in, sign-out, idle sessions -----------------------------------------------------


def therapist_with_password(**fields):
    therapist = TherapistFactory(**fields)
    therapist.user.set_password(PASSWORD)
    therapist.user.save()
    return therapist


def test_an_active_therapist_signs_in(client):
    therapist = therapist_with_password()
    response = sign_in(client, therapist.user.username)
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_staff_user_cannot_sign_in_at_the_portal(client, roles):
    user_create(username="office", role=Role.ADMIN, password=PASSWORD)
    response = sign_in(client, "office")
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "This sign-in is for the clinic's therapists" in errors[0]
    assert reverse("admin:index") in errors[0]
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_therapist_cannot_sign_in_at_the_portal(client):
    user = UserFactory()
    user.set_password(PASSWORD)
    user.save()
    response = sign_in(client, user.username)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_a_therapist_on_a_staff_account_cannot_sign_in_at_the_portal(client):
    therapist = therapist_with_password(user=UserFactory(is_staff=True))
    response = sign_in(client, therapist.user.username)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_inactive_therapist_cannot_sign_in(client):
    therapist = therapist_with_password(is_active=False)
    response = sign_in(client, therapist.user.username)
    assert response.status_code == 200
    assert "Your access to the portal is closed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_says_nothing_about_the_account(client, roles):
    user_create(username="office", role=Role.ADMIN, password=PASSWORD)
    response = sign_in(client, "office", "not-the-password")
    assert "for the clinic's therapists" not in response.content.decode()


def test_signing_out_returns_to_the_sign_in_page(client):
    therapist = therapist_with_password()
    sign_in(client, therapist.user.username)
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    after = client.get(reverse("portal:home"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("portal:login"))


def test_an_idle_therapist_is_sent_to_sign_in_on_the_next_portal_request(client, clock):
    therapist = therapist_with_password()
    sign_in(client, therapist.user.username)
    clock.shift(timedelta(minutes=20))
    assert client.get(reverse("portal:home")).status_code == 200  # activity keeps it alive
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
    assert client.get(reverse("portal:home")).status_code == 200
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    idle = client.get(reverse("portal:home"))
    assert idle.status_code == 302
    assert idle["Location"].startswith(reverse("portal:login"))


def test_a_portal_session_ends_after_the_absolute_limit_however_active(client, clock):
    therapist = therapist_with_password()
    sign_in(client, therapist.user.username)
    assert client.get(reverse("portal:home")).status_code == 200  # where sign-in leads
    step = timedelta(seconds=settings.SESSION_COOKIE_AGE // 2)
    for _ in range(settings.SESSION_ABSOLUTE_SECONDS // step.seconds):
        clock.shift(step)
        assert client.get(reverse("portal:home")).status_code == 200
    clock.shift(step)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_staff_reading_the_outbox_never_see_a_sign_in_link(admin_client):
    therapist = TherapistFactory(email="hidden-link@example.test")
    therapist_invite(therapist=therapist, by=None)
    message = OutboxMessage.objects.get(purpose=Purpose.SIGN_IN)
    page = admin_client.get(
        reverse("admin:messaging_outboxmessage_change", args=[message.pk])
    ).content.decode()
    assert link_in(message) not in page
    assert "Hidden: it holds a sign-in link" in page
