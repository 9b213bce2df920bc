"""Sign-in lockout by username + the real address (docs/security.md, Sign-in lockout behind the
proxy): the address is the one the clinic's proxy saw, never an X-Forwarded-For entry the client
wrote, so nobody can lock a staff member out from elsewhere."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from backoffice.accounts.client_address import client_address
from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create

PASSWORD = "office-password-2026"
NGINX = "127.0.0.1"


def request_from(peer, forwarded=None):
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


def test_behind_one_proxy_the_address_it_saw_is_used_and_the_clients_entries_are_not(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from(NGINX, forwarded="10.9.9.9, 203.0.113.7")
    assert client_address(request) == "203.0.113.7"


def test_behind_two_proxies_the_address_the_first_saw_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = request_from(NGINX, forwarded="10.9.9.9, 203.0.113.7, 10.0.0.5")
    assert client_address(request) == "203.0.113.7"


def test_without_a_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = request_from("203.0.113.7", forwarded="10.9.9.9")
    assert client_address(request) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address"])
def test_a_request_that_did_not_pass_the_proxy_counts_from_its_own_address(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from("203.0.113.7", forwarded)) == "203.0.113.7"


@pytest.fixture
def office(db):
    return user_create(username="office", role=Role.ADMIN, password=PASSWORD)


def sign_in(client, username, password, address, forged=""):
    """A password posted to the staff sign-in through the proxy, from `address`, the client
    having written `forged` addresses of its own in front."""
    forwarded = f"{forged}, {address}" if forged else address
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def password_accepted(response) -> bool:
    """The password step passed: the sign-in goes on elsewhere (a second step, or the site)."""
    return response.status_code == 302 and response["Location"] != reverse("admin:login")


def test_five_failures_lock_a_username_from_that_address_only(client, settings, office):
    settings.TRUSTED_PROXY_COUNT = 1
    other = user_create(username="reception", role=Role.READ_ONLY, password=PASSWORD)
    for n in range(5):
        # Each forged entry differs: the attacker cannot spread the failures over addresses.
        sign_in(client, "office", "wrong", "203.0.113.66", forged=f"198.51.100.{n}")

    assert sign_in(client, "office", PASSWORD, "203.0.113.66").status_code == 429
    assert password_accepted(sign_in(client, "office", PASSWORD, "203.0.113.10"))
    client.logout()
    assert password_accepted(sign_in(client, other.username, PASSWORD, "203.0.113.66"))
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("office", "203.0.113.66")
    ]


def test_without_a_proxy_a_forged_header_does_not_move_the_lockout(client, settings, office):
    settings.TRUSTED_PROXY_COUNT = 0
    for _ in range(5):
        client.post(
            reverse("admin:login"),
            {"username": "office", "password": "wrong"},
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR="203.0.113.10",
        )

    assert password_accepted(
        client.post(
            reverse("admin:login"),
            {"username": "office", "password": PASSWORD},
            REMOTE_ADDR="203.0.113.10",
        )
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.66"]
