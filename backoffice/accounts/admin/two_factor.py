"""Two-factor sign-in in the admin: the record of resets. Authenticators and recovery codes are
never shown (django-otp's own pages are taken off): a user sets them up on the enrol page."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin
from unfold.paginator import InfinitePaginator

from backoffice.accounts.models import TwoFactorReset
from backoffice.admin_base import ReadOnlyAdminMixin

for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(TwoFactorReset)
class TwoFactorResetAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Who reset whose second factor, and when: written by accounts.services.two_factor_reset
    only, never changed."""

    paginator = InfinitePaginator
    show_full_result_count = False
    list_display = ["user", "reset_by", "reset_at"]
    list_select_related = ["user", "reset_by"]
    search_fields = ["user__username", "user__last_name", "reset_by__username"]
    fields = ["user", "reset_by", "reset_at"]
    readonly_fields = fields
