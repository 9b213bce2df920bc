import pytest

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create


@pytest.fixture
def staff(db, roles):
    """One signed-in-able staff member per role, and a staff account with no role."""

    def make(role):
        return user_create(username=f"staff-{role or 'none'}", role=role) if role else None

    people = {role: make(role) for role in (Role.ADMIN, Role.FINANCE, Role.READ_ONLY)}
    people[None] = user_create(username="staff-none", role=Role.ADMIN)
    people[None].groups.clear()
    return people
