"""What scheduling tells the apps above it (billing), which it must not import."""

from django.dispatch import Signal

# Sent inside the transaction that recorded an outcome (completed, cancelled, no-show), with
# `appointment` and `by`; billing moves the money of a session paid ahead (BillingConfig).
appointment_outcome_recorded = Signal()
