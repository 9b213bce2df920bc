"""Sign-in records of django-axes, read-only: lockouts (deleting a row lifts it) and the log."""

from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from unfold.admin import ModelAdmin
from unfold.paginator import InfinitePaginator


class SignInRecordAdmin(ModelAdmin):
    """axes writes these rows; staff read them, without counting the table."""

    paginator = InfinitePaginator
    show_full_result_count = False
    search_fields = ["username", "ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(SignInRecordAdmin):
    """Sign-ins locked out by axes; deleting a row lifts that lockout."""

    list_display = ["attempt_time", "username", "ip_address", "failures_since_start"]
    readonly_fields = [
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "failures_since_start",
    ]
    exclude = ["get_data", "post_data", "http_accept"]


@admin.register(AccessLog)
class AccessLogAdmin(SignInRecordAdmin):
    list_display = ["attempt_time", "logout_time", "username", "ip_address"]
    readonly_fields = [
        "attempt_time",
        "logout_time",
        "username",
        "ip_address",
        "user_agent",
        "path_info",
    ]
    exclude = ["http_accept"]
