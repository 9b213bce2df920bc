"""Scheduling writes: booking and moving (booking.py), recording attendance (attendance.py),
the Bad Fit list (bad_fit.py)."""

from backoffice.scheduling.services.attendance import (
    PORTAL_OUTCOMES,
    TRANSITIONS,
    appointment_cancel,
    appointment_cancel_by_client,
    appointment_cancel_is_late,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_outcome_record,
    appointment_series_cancel_rest,
)
from backoffice.scheduling.services.bad_fit import bad_fit_evaluate, bad_fit_remove
from backoffice.scheduling.services.booking import (
    BookingResult,
    SeriesBookingResult,
    appointment_book,
    appointment_move,
    appointment_participants_ensure,
    appointment_save_changes,
    appointment_series_book,
    appointment_series_check,
    appointment_series_plan,
    appointment_slot_check,
)

__all__ = [
    "PORTAL_OUTCOMES",
    "TRANSITIONS",
    "BookingResult",
    "SeriesBookingResult",
    "appointment_book",
    "appointment_cancel",
    "appointment_cancel_by_client",
    "appointment_cancel_is_late",
    "appointment_complete",
    "appointment_confirm",
    "appointment_move",
    "appointment_no_show",
    "appointment_outcome_record",
    "appointment_participants_ensure",
    "appointment_save_changes",
    "appointment_series_book",
    "appointment_series_cancel_rest",
    "appointment_series_check",
    "appointment_series_plan",
    "appointment_slot_check",
    "bad_fit_evaluate",
    "bad_fit_remove",
]
