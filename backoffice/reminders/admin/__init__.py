"""Reminders in the admin: the clinic's reminder times (offsets.py) and, on each appointment's
page, its reminders read only (reminders.py, used by scheduling's appointment admin)."""

from backoffice.reminders.admin import offsets  # noqa: F401  (registers)
