"""Staff's notification pages (views.py); nothing is registered: each staff member sees only
their own notifications, from the bell."""
