"""The role-by-URL matrix's world, built once for its module."""

import copy

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client, override_settings

from tests.accounts.codes import force_login_verified
from tests.security.world import CLIENT_BACKEND, ROLES, world_build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the whole matrix, rolled back at the end; each request runs in a savepoint
    of its own that is rolled back too, so a POST changes nothing for the next."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        built = world_build()
        browsers = {}
        for role, user in built["users"].items():
            browser = Client(raise_request_exception=False)
            if user is not None:
                backend = CLIENT_BACKEND if role == "client" else None
                # tests/conftest.py's force_login is put in place after this module's world.
                force_login_verified(browser, user, backend=backend)
            browsers[role] = browser
        built["browsers"] = browsers
        # After the sign-ins: a password link names the last sign-in.
        built["password_token"] = default_token_generator.make_token(built["users"]["therapist_a"])
        built["cookies"] = {role: copy.deepcopy(b.cookies) for role, b in browsers.items()}
        yield built
        transaction.set_rollback(True)


def pytest_terminal_summary(terminalreporter):
    from tests.security.urls import entries

    urls = len(entries())
    terminalreporter.write_line(
        f"role-by-URL matrix: {urls} URLs and actions × {len(ROLES)} roles = "
        f"{urls * len(ROLES)} requests"
    )
