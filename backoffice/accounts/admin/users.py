"""Staff users and their roles (auth groups), with history."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from backoffice.accounts.models import User
from backoffice.accounts.services import two_factor_reset
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
    actions_detail = ["reset_two_factor"]

    @action(
        description=_("Reset two-factor"),
        icon="phonelink_erase",
        url_path="reset-two-factor",
        permissions=["reset_two_factor"],
        dialog={
            "title": _("Reset this user's two-factor sign-in?"),
            "description": _(
                "Their authenticator and recovery codes stop working and they are signed out; "
                "at their next sign-in they set up a new authenticator. The reset is recorded."
            ),
            "form_submit_text": _("Reset two-factor"),
        },
    )
    def reset_two_factor(self, request, form, object_id):
        user = get_object_or_404(self.get_queryset(request), pk=object_id)
        self.run_service(
            request,
            two_factor_reset,
            done=_("Two-factor sign-in reset for %(user)s: they enrol again at their next sign-in.")
            % {"user": user.get_username()},
            user=user,
            by=request.user,
        )
        return self.back_after_dialog(request)

    def has_reset_two_factor_permission(self, request, obj=None):
        return request.user.has_perm("accounts.reset_two_factor")


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, CaseloadAdmin):
    pass
