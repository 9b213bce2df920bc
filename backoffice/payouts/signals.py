"""What payouts tells the apps above it (the worklist), which it must not import."""

from django.dispatch import Signal

# Sent after a statement run over the whole month (not one therapist's regeneration), with
# `month` (its first day) and `problems` (the run's problems, a list of str).
statement_run_finished = Signal()
