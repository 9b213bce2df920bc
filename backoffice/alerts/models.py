"""Alerts have no table: they are read from the other apps' data each time (selectors), and
the emails about them are outbox messages whose dedupe keys say they went."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    """What needs the therapist, in the order their alerts are listed
    (docs/rules.md, Therapists' alerts)."""

    LAST_SESSION = "last-session", _("Last approved session")
    RUNNING_OUT = "running-out", _("Authorization running out")
    RENEWAL_WAITING = "renewal-waiting", _("Renewal waiting for the payer")
    BAD_FIT = "bad-fit", _("Bad Fit list")


# The order alerts are listed in: the most urgent first.
KIND_ORDER = {kind: position for position, kind in enumerate(AlertKind)}
