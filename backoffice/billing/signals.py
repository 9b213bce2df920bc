"""What billing tells the apps above it (the worklist), which it must not import."""

from django.dispatch import Signal

# Sent inside the transaction of a month run over the whole month (not one limited to a
# bill-to), with `month` (its first day) and `problems` (the run's warnings, a list of str).
invoice_run_finished = Signal()
