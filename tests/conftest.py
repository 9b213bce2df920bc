import pytest

from backoffice.accounts.services import roles_sync
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def roles(db):
    return roles_sync()
