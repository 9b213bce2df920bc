"""The access log: who saw which client's information, when, where. Rows are only ever added;
the retention job (`services.access_records_purge`) alone removes old ones."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.models import Client


class AccessLogAppendOnly(Exception):
    """An access record is never changed, and removed only by the retention job."""


class AccessKind(models.TextChoices):
    CLIENT_RECORD = "client-record", _("Client record")
    AUTHORIZATION = "authorization", _("Authorization")
    APPOINTMENT = "appointment", _("Appointment")
    APPOINTMENT_LIST = "appointment-list", _("Appointment list of a client")
    INVOICE = "invoice", _("Invoice")
    RECEIPT = "receipt", _("Receipt")
    STATEMENT = "statement", _("Statement")
    PDF = "pdf", _("PDF")
    DOCUMENT = "document", _("Document")
    EXPORT = "export", _("Export")
    PORTAL_PAGE = "portal-page", _("Portal page")
    CLIENT_PAGE = "client-page", _("Client page")


class AccessRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AccessLogAppendOnly("the access log is append-only")

    def delete(self):
        raise AccessLogAppendOnly("only the retention job removes access records")

    def _purge(self) -> int:
        """The retention job's set-wise DELETE (one statement, no signals: nothing points here)."""
        return self._raw_delete(self.db)


class AccessRecord(models.Model):
    # Kept whatever happens to the user or client: users are deactivated, never deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    what = models.CharField(_("what"), max_length=20, choices=AccessKind.choices)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind of record"),
    )
    object_id = models.PositiveBigIntegerField(_("record number"), null=True, blank=True)
    # What was seen when it is no single record (an export's file name); never PHI.
    label = models.CharField(_("label"), max_length=100, blank=True)
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client"),
    )
    path = models.CharField(_("page"), max_length=300)

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access record")
        verbose_name_plural = _("access log")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["client", "at"]),
            models.Index(fields=["user", "at"]),
        ]

    def __str__(self):
        return f"{self.username} · {self.get_what_display()} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AccessLogAppendOnly("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AccessLogAppendOnly("only the retention job removes access records")
