"""The notifications' own pages: what a signed-in user does with theirs (open one, mark it or
all read: POSTs, for staff and therapists alike) and the therapists' pages in the portal's
frame. Staff's pages are in the admin (`admin/views.py`). Every notification is looked up
among the user's own: another user's id is a 404."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from backoffice.notifications.forms import PreferencesForm
from backoffice.notifications.selectors import (
    PAGE_SIZE,
    email_choices,
    inbox_url,
    notifications_of_user,
)
from backoffice.notifications.services import (
    notification_mark_read,
    notification_preferences_save,
    notifications_mark_all_read,
)
from portal.views import ServiceFormView, TherapistRequiredMixin


def _local(request, target: str | None) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


class OwnNotificationView(LoginRequiredMixin, View):
    """A POST on one of the user's own notifications; the id is checked before the method."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.notification = get_object_or_404(
                notifications_of_user(user=request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)


class OpenView(OwnNotificationView):
    """Follow a notification: it is read, and the user lands on what it is about."""

    def post(self, request, pk):
        notification_mark_read(notification=self.notification, user=request.user)
        return redirect(_local(request, self.notification.link) or inbox_url(request.user))


class ReadView(OwnNotificationView):
    def post(self, request, pk):
        notification_mark_read(notification=self.notification, user=request.user)
        return redirect(_local(request, request.POST.get("next")) or inbox_url(request.user))


class ReadAllView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        count = notifications_mark_all_read(user=request.user)
        if count:
            messages.success(request, _("All your notifications are marked read."))
        return redirect(_local(request, request.POST.get("next")) or inbox_url(request.user))


class PortalListView(TherapistRequiredMixin, ListView):
    """A therapist's notifications, newest first, a page at a time."""

    template_name = "notifications/portal/list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return notifications_of_user(user=self.request.user)


class PortalPreferencesView(ServiceFormView):
    """Which of a therapist's notifications also come by email, and when."""

    def get_form(self, form_class=None):
        return PreferencesForm(
            **self.get_form_kwargs(), choices=email_choices(user=self.request.user)
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Notification emails"), **kwargs)

    def run(self, form) -> str:
        notification_preferences_save(user=self.request.user, choices=form.chosen())
        return _("Your choices are saved.")

    def get_success_url(self):
        return reverse("notifications:portal")
