"""Staff users and their roles (auth groups), with history."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

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
