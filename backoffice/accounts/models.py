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


class TwoFactorReset(models.Model):
    """An administrator's reset of a user's second factor: their authenticator and recovery
    codes removed, so they enrol again at their next sign-in."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="two_factor_resets", verbose_name=_("user")
    )
    reset_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reset by")
    )
    reset_at = models.DateTimeField(_("reset at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-reset_at"]
        verbose_name = _("two-factor reset")
        verbose_name_plural = _("two-factor resets")
        permissions = [("reset_two_factor", _("Can reset a user's two-factor sign-in"))]

    def __str__(self):
        return f"{self.user} ({self.reset_at:%Y-%m-%d %H:%M})"
