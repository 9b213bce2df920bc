"""Staff's own notifications and their email choices, in the admin's frame (unfold custom
pages behind the admin's sign-in; every staff member may open them, for themselves only)."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.admin_base import CaseloadAdmin, CaseloadFormView
from backoffice.notifications.forms import PreferencesForm
from backoffice.notifications.models import Notification
from backoffice.notifications.selectors import PAGE_SIZE, email_choices, notifications_of_user
from backoffice.notifications.services import notification_preferences_save


class OwnPageMixin:
    """Any staff member, for their own notifications: no model permission is needed."""

    def has_permission(self):
        return self.request.user.is_active and self.request.user.is_staff

    def get_context_data(self, **kwargs):
        # The header names the page alone: the admin of notifications has no list to lead to.
        return {**super().get_context_data(**kwargs), "opts": None, "model_admin": None}


class StaffListView(OwnPageMixin, UnfoldModelAdminViewMixin, ListView):
    title = gettext_lazy("Notifications")
    permission_required = ()
    template_name = "admin/notifications/list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return notifications_of_user(user=self.request.user)


class StaffPreferencesView(OwnPageMixin, CaseloadFormView):
    title = gettext_lazy("Notification emails")
    permission_required = ()
    intro = gettext_lazy(
        "Your notifications are always in the bell; choose which also come by email."
    )
    submit_label = gettext_lazy("Save")

    def get_form(self, form_class=None):
        return PreferencesForm(
            **self.get_form_kwargs(), choices=email_choices(user=self.request.user)
        )

    def form_valid(self, form):
        self.model_admin.run_service(
            self.request,
            notification_preferences_save,
            done=_("Your choices are saved."),
            user=self.request.user,
            choices=form.chosen(),
        )
        return redirect(self.next_url(reverse("notifications:staff")))


def page(view):
    """`view` as a page of the admin site, framed by an admin of notifications that is not
    registered (no list of everyone's)."""
    return admin.site.admin_view(view.as_view(model_admin=CaseloadAdmin(Notification, admin.site)))
