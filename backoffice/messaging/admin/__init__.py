"""Messaging in the admin: the outbox (outbox.py) and the editable message templates
(templates.py, its form in forms.py)."""

from backoffice.messaging.admin import outbox, templates  # noqa: F401  (registers the admins)
