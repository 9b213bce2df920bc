from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.paginator import InfinitePaginator

from backoffice.accounts.models import User
from backoffice.admin_base import CaseloadAdmin

admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, CaseloadAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = [
        *BaseUserAdmin.fieldsets[:1],
        (
            _("Personal info"),
            {"fields": ["first_name", "last_name", "email", "preferred_language"]},
        ),
        *BaseUserAdmin.fieldsets[2:],
    ]


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, CaseloadAdmin):
    pass


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ModelAdmin):
    """Sign-ins locked out by axes; deleting a row lifts that lockout."""

    paginator = InfinitePaginator
    show_full_result_count = False
    list_display = ["attempt_time", "username", "ip_address", "failures_since_start"]
    search_fields = ["username", "ip_address"]
    readonly_fields = [
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "failures_since_start",
    ]
    exclude = ["get_data", "post_data", "http_accept"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ModelAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_display = ["attempt_time", "logout_time", "username", "ip_address"]
    search_fields = ["username", "ip_address"]
    readonly_fields = [
        "attempt_time",
        "logout_time",
        "username",
        "ip_address",
        "user_agent",
        "path_info",
    ]
    exclude = ["http_accept"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
