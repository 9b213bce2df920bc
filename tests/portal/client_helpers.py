"""Signing a client in for the client pages' tests."""

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create

BACKEND = "backoffice.accounts.backends.SignInLinkBackend"


def sign_in_as(browser, person):
    """Give the client file its account (as its first link does) and sign it in."""
    if person.user is None:
        person.user = user_create(username=f"client-{person.pk}", role=Role.CLIENT)
        person.save(update_fields=["user"])
    browser.force_login(person.user, backend=BACKEND)
    return person.user
