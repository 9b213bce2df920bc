"""Messaging in the admin: the outbox (outbox.py), the editable message templates
(templates.py, its form in forms.py) and the SMS received (inbound.py)."""

from backoffice.messaging.admin import inbound, outbox, templates  # noqa: F401  (registers)
