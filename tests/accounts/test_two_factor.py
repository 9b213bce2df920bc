"""Two-factor sign-in through the real pages: a password alone reaches only the enrol or
verify page for staff; codes are checked; recovery codes work once; therapists opt in (or must,
by setting); an administrator's reset is recorded and sends the user back to enrol."""

from base64 import b32encode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.accounts.models import Role, TwoFactorReset
from backoffice.accounts.services import user_create
from backoffice.accounts.views import PENDING_KEY_SESSION_KEY
from tests.accounts.codes import totp_code
from tests.factories import ClientFactory, TherapistFactory, UserFactory
from tests.portal.client_helpers import sign_in_as

PASSWORD = "a-long-synthetic-passphrase-2026"
NOON = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
ENROL = reverse("two_factor:enrol")
VERIFY = reverse("two_factor:verify")
ADMIN_INDEX = reverse("admin:index")

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def staff_user(role: Role | None, username="staff-one"):
    if role is None:  # a staff account in no role, and a superuser
        return UserFactory(username=username, is_staff=True, is_superuser=False, password=PASSWORD)
    return user_create(username=username, role=role, password=PASSWORD)


def admin_sign_in(client, user, next_url=ADMIN_INDEX):
    """The admin's sign-in form, with a password only."""
    response = client.post(
        f"{reverse('admin:login')}?next={next_url}",
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302, "the password is right"
    return response


def portal_sign_in(client, user):
    response = client.post(
        reverse("portal:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "the password is right"
    return response


def enrol(client, clock) -> list[str]:
    """Set up the authenticator from the enrol page's secret; the recovery codes shown."""
    client.get(ENROL)
    key = bytes.fromhex(client.session[PENDING_KEY_SESSION_KEY])
    response = client.post(ENROL, {"token": totp_code(key)})
    assert response.status_code == 302
    page = client.get(response.url)
    return page.context["codes"]


def device_of(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


STAFF = [Role.ADMIN, Role.FINANCE, Role.READ_ONLY, None]


@pytest.mark.parametrize("role", STAFF, ids=lambda role: role or "no-role")
def test_a_password_alone_takes_staff_only_to_enrolment(client, roles, role):
    user = staff_user(role)
    admin_sign_in(client, user)

    for page in [ADMIN_INDEX, reverse("admin:caseload_client_changelist"), reverse("landing")]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.url == f"{ENROL}?next={page.replace('/', '%2F')}"
    assert client.get(ENROL).status_code == 200


def test_a_superuser_needs_the_second_factor_too(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True, password=PASSWORD)
    admin_sign_in(client, user)
    assert client.get(ADMIN_INDEX).url.startswith(ENROL)


@pytest.mark.parametrize("role", STAFF, ids=lambda role: role or "no-role")
def test_staff_with_an_authenticator_must_verify(client, roles, role, clock):
    user = staff_user(role)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    admin_sign_in(client, user)

    response = client.get(ADMIN_INDEX)
    assert response.url == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get(ENROL).url.startswith(VERIFY), "no second authenticator instead"
    response = client.post(VERIFY, {"token": totp_code(device.bin_key), "next": ADMIN_INDEX})
    assert response.url == ADMIN_INDEX
    assert client.get(ADMIN_INDEX).status_code == 200


def test_enrolment_confirms_only_with_the_right_code(client, roles, clock):
    user = staff_user(Role.ADMIN)
    admin_sign_in(client, user)
    page = client.get(ENROL)
    assert page.context["qr_code"].startswith("data:image/svg+xml")
    key = bytes.fromhex(client.session[PENDING_KEY_SESSION_KEY])
    assert page.context["secret"].replace(" ", "") == b32encode(key).decode()

    wrong = f"{(int(totp_code(key)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"token": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(ADMIN_INDEX).url.startswith(ENROL)

    response = client.post(ENROL, {"token": totp_code(key), "next": ADMIN_INDEX})
    assert response.url == f"{reverse('two_factor:recovery_codes')}?next=%2Fadmin%2F"
    codes = client.get(response.url).context["codes"]
    assert len(codes) == len(set(codes)) == 10
    stored = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert sorted(stored) == sorted(codes)
    assert device_of(user).bin_key == key
    assert client.get(reverse("two_factor:recovery_codes")).url == reverse("landing"), "once"
    assert client.get(ADMIN_INDEX).status_code == 200


def test_a_wrong_code_is_refused_and_the_right_one_lets_in(client, roles, clock):
    user = staff_user(Role.FINANCE)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    admin_sign_in(client, user)

    response = client.post(VERIFY, {"token": "000000"})
    if totp_code(device.bin_key) != "000000":
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert client.get(ADMIN_INDEX).status_code == 302
    clock.shift(timedelta(seconds=5))  # past the throttle's wait after a wrong code
    response = client.post(VERIFY, {"token": totp_code(device.bin_key)})
    assert response.status_code == 302
    assert client.get(ADMIN_INDEX).status_code == 200


def test_a_code_signs_in_once(client, roles, clock):
    user = staff_user(Role.READ_ONLY)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    admin_sign_in(client, user)
    code = totp_code(device.bin_key)
    assert client.post(VERIFY, {"token": code}).status_code == 302

    other = Client()
    admin_sign_in(other, user)
    assert other.post(VERIFY, {"token": code}).status_code == 200, "replayed"
    assert other.get(ADMIN_INDEX).status_code == 302


def test_a_recovery_code_signs_in_once(client, roles, clock):
    user = staff_user(Role.ADMIN)
    admin_sign_in(client, user)
    codes = enrol(client, clock)
    client.post(reverse("admin:logout"))

    admin_sign_in(client, user)
    response = client.post(VERIFY, {"token": codes[3].upper(), "next": ADMIN_INDEX})
    assert response.url == ADMIN_INDEX
    assert StaticToken.objects.filter(device__user=user).count() == 9
    client.post(reverse("admin:logout"))

    admin_sign_in(client, user)
    clock.shift(timedelta(seconds=5))
    assert client.post(VERIFY, {"token": codes[3]}).status_code == 200, "used already"
    assert client.get(ADMIN_INDEX).status_code == 302


def test_only_a_page_of_this_site_is_gone_back_to(client, roles, clock):
    user = staff_user(Role.ADMIN)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    admin_sign_in(client, user)
    response = client.post(
        VERIFY, {"token": totp_code(device.bin_key), "next": "https://elsewhere.example/"}
    )
    assert response.url == reverse("landing")

    client.post(reverse("admin:logout"))
    asked = reverse("admin:billing_invoice_changelist")
    clock.shift(timedelta(seconds=30))
    admin_sign_in(client, user, next_url=asked)
    response = client.get(asked)
    assert response.url == f"{VERIFY}?next=%2Fadmin%2Fbilling%2Finvoice%2F"
    response = client.post(response.url, {"token": totp_code(device.bin_key), "next": asked})
    assert response.url == asked


def test_signing_out_is_open_before_the_second_factor(client, roles):
    user = staff_user(Role.ADMIN)
    admin_sign_in(client, user)
    client.post(reverse("admin:logout"))
    assert SESSION_KEY not in client.session


def therapist_with_password(**kwargs):
    return TherapistFactory(user__username="therapist-a", user__password=PASSWORD, **kwargs)


def test_a_therapist_may_enrol_and_then_verifies_at_each_sign_in(client, clock):
    therapist = therapist_with_password()
    portal_sign_in(client, therapist.user)
    assert client.get(reverse("portal:home")).status_code == 200, "optional by default"

    page = client.get(ENROL)
    assert page.status_code == 200
    assert "portal/base.html" in [template.name for template in page.templates]
    enrol(client, clock)
    assert client.get(ENROL).templates[0].name == "two_factor/enrolled.html"
    client.post(reverse("portal:logout"))

    clock.shift(timedelta(seconds=30))
    portal_sign_in(client, therapist.user)
    response = client.get(reverse("portal:home"))
    assert response.url == f"{VERIFY}?next=%2Fportal%2F"
    response = client.post(
        VERIFY, {"token": totp_code(device_of(therapist.user).bin_key), "next": "/portal/"}
    )
    assert response.url == "/portal/"
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_setting_makes_two_factor_required_for_therapists(client, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_THERAPISTS = True
    therapist = therapist_with_password()
    portal_sign_in(client, therapist.user)
    assert client.get(reverse("portal:home")).url == f"{ENROL}?next=%2Fportal%2F"


def test_clients_are_not_asked_for_a_second_factor(client):
    sign_in_as(client, ClientFactory())
    assert client.get(reverse("client:home")).status_code == 200
    assert client.get(ENROL).status_code == 403
    assert client.get(VERIFY).status_code == 403


def test_the_pages_ask_a_visitor_to_sign_in(client):
    for page in [ENROL, VERIFY, reverse("two_factor:recovery_codes")]:
        response = client.get(page)
        assert response.status_code == 302
        assert response.url.startswith(reverse("portal:login"))


def reset_url(user):
    return reverse("admin:accounts_user_reset_two_factor", args=[user.pk])


def test_an_administrator_resets_a_second_factor_recorded_and_the_user_enrols_again(
    client, roles, clock
):
    user = staff_user(Role.FINANCE, username="finance-one")
    admin_sign_in(client, user)
    enrol(client, clock)
    assert client.get(ADMIN_INDEX).status_code == 200
    administrator = staff_user(Role.ADMIN, username="admin-one")
    office = Client()
    office.force_login(administrator)

    assert office.get(reset_url(user)).status_code == 200
    assert TOTPDevice.objects.filter(user=user).exists(), "a GET changes nothing"
    response = office.post(reset_url(user), {"_form_submitted": "True"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    [reset] = TwoFactorReset.objects.all()
    assert (reset.user, reset.reset_by, reset.reset_at) == (user, administrator, NOON)
    assert client.get(ADMIN_INDEX).url.startswith(reverse("admin:login")), "signed out"
    assert office.get(reverse("admin:accounts_twofactorreset_changelist")).status_code == 200

    admin_sign_in(client, user)
    assert client.get(ADMIN_INDEX).url.startswith(ENROL)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.READ_ONLY])
def test_only_an_administrator_resets_a_second_factor(client, roles, role):
    user = staff_user(Role.ADMIN, username="admin-one")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(staff_user(role, username="other-staff"))

    response = client.post(reset_url(user), {"_form_submitted": "True"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not TwoFactorReset.objects.exists()


def test_a_verified_request_reads_no_device(client, roles):
    """The verified session is trusted (a reset ends it): no query per page for the device."""
    client.force_login(staff_user(Role.ADMIN))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:caseload_client_changelist")).status_code == 200
    assert not [query for query in queries if "otp_" in query["sql"]]
