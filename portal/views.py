from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin, SingleTableView

from backoffice.caseload.selectors import clients_of_therapist
from backoffice.documents.zips import pdf_response
from backoffice.payouts.selectors import statements_for_documents, statements_of_therapist
from backoffice.payouts.services.pdf import statement_pdf, statement_pdf_filename
from portal.filters import ClientFilter
from portal.tables import ClientTable, StatementTable


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


class StatementListView(TherapistRequiredMixin, SingleTableView):
    """The therapist's monthly statements: what was paid out, what is held, the payouts."""

    template_name = "portal/statements.html"
    table_class = StatementTable
    table_pagination = {"per_page": 24}

    def get_queryset(self):
        return statements_of_therapist(therapist=self.request.user.therapist)


class StatementPdfView(TherapistRequiredMixin, View):
    def get(self, request, pk):
        statements = statements_for_documents(
            statements_of_therapist(therapist=request.user.therapist)
        )
        statement = get_object_or_404(statements, pk=pk)
        return pdf_response(statement_pdf(statement=statement), statement_pdf_filename(statement))
