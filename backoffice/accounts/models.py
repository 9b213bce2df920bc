import simple_history
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    """Roles are auth Groups of these names; `accounts.services.roles_sync` creates them."""

    ADMIN = "admin", _("Administrator")
    FINANCE = "finance", _("Finance")
    READ_ONLY = "read-only", _("Read-only staff")
    THERAPIST = "therapist", _("Therapist")
    # A client's own account, for their pages; it signs in only by an emailed link.
    CLIENT = "client", _("Client")


# Roles that work at the clinic and sign in to the admin.
STAFF_ROLES = (Role.ADMIN, Role.FINANCE, Role.READ_ONLY)


class User(AbstractUser):
    email = models.EmailField(_("email address"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=5,
        choices=[("en", "English"), ("fr-ca", "Français")],
        default="en",
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def has_role(self, role: Role) -> bool:
        return any(group.name == role for group in self.groups.all())


# Who changed which role's permissions, and when.
simple_history.register(Group, app="backoffice.accounts", m2m_fields=["permissions"])
