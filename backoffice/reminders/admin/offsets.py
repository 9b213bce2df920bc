"""The clinic's reminder times: a reminder on a channel so many hours before each session."""

from django.contrib import admin

from backoffice.admin_base import CaseloadAdmin
from backoffice.reminders.models import ReminderOffset


@admin.register(ReminderOffset)
class ReminderOffsetAdmin(CaseloadAdmin):
    list_display = ["channel", "hours_before", "is_active"]
    list_filter = ["channel", "is_active"]
    fields = ["channel", "hours_before", "is_active"]
    ordering = ["channel", "-hours_before"]
