"""Scheduling's admin, one module per model family: appointments, recurring series, sites with
their rooms and reservations, the Bad Fit list; its forms and custom pages beside them."""

from backoffice.scheduling.admin import appointments, bad_fit, series, sites

__all__ = ["appointments", "bad_fit", "series", "sites"]
