"""Roles as auth Groups, with the permissions each role holds."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from backoffice.accounts.models import STAFF_ROLES, Role, User

STAFF_APPS = (
    "accounts",
    "caseload",
    "scheduling",
    "messaging",
    "billing",
    "payouts",
    "worklist",
    "privacy",
    "access",
)
# Privacy requests, the breach register and the access log are the administrators' alone:
# finance and read-only staff do not get even their view permissions.
ADMIN_ONLY_APPS = {"privacy", "access"}
# Finance keeps the money side; administration runs everything else.
FINANCE_WRITE_MODELS = {
    "payer",
    "payerrate",
    "therapistrate",
    "servicetype",
    "invoice",
    "invoiceline",
    "payment",
    "paymentallocation",
    "receipt",
    "messagetemplate",
    "statement",
    "task",
}


def _permissions_for(role: Role) -> list[Permission]:
    staff_permissions = Permission.objects.filter(
        content_type__app_label__in=STAFF_APPS
    ).select_related("content_type")
    if role == Role.ADMIN:
        return [p for p in staff_permissions if p.content_type.app_label != "accounts"]
    if role == Role.FINANCE:
        return [
            p
            for p in staff_permissions
            if p.content_type.app_label not in ADMIN_ONLY_APPS
            and (p.codename.startswith("view_") or p.content_type.model in FINANCE_WRITE_MODELS)
        ]
    if role == Role.READ_ONLY:
        return [
            p
            for p in staff_permissions
            if p.codename.startswith("view_") and p.content_type.app_label not in ADMIN_ONLY_APPS
        ]
    return []


@transaction.atomic
def roles_sync() -> dict[Role, Group]:
    """Create or update one Group per role with that role's permissions."""
    groups = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(_permissions_for(role))
        groups[role] = group
    return groups


@transaction.atomic
def user_create(
    *,
    username: str,
    role: Role,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> User:
    """Create a user in one role; staff roles may sign in to the admin. Without a password the
    password is unusable (a therapist chooses one from an invitation; a client has none)."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role in STAFF_ROLES,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    return user
