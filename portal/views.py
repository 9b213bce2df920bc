from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from backoffice.caseload.selectors import clients_of_therapist
from portal.filters import ClientFilter
from portal.tables import ClientTable


def landing(request):
    """After sign-in, and at the site root: staff go to the admin, therapists to the portal."""
    return redirect("admin:index" if request.user.is_staff else "portal:home")


class TherapistRequiredMixin(LoginRequiredMixin):
    """Portal pages belong to therapists; staff are sent to the admin."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not hasattr(request.user, "therapist"):
            return redirect("admin:index") if request.user.is_staff else self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class ClientListView(TherapistRequiredMixin, SingleTableMixin, FilterView):
    template_name = "portal/home.html"
    table_class = ClientTable
    filterset_class = ClientFilter
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return clients_of_therapist(therapist=self.request.user.therapist)
