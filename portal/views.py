"""The therapist portal's pages. Every object is reached through a selector that starts from
the signed-in therapist (their clients, their sessions, their statements), so another
therapist's id is a 404; every change goes through the domain's services."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin, SingleTableView
from django_tables2.paginators import LazyPaginator

from backoffice.alerts.selectors import (
    therapist_alert_count,
    therapist_alert_count_expression,
    therapist_alerts,
)
from backoffice.billing.selectors import (
    authorizations_with_status,
    clients_with_authorizations,
    clients_with_status,
    sessions_payment_summary,
    sessions_with_payment_facts,
)
from backoffice.caseload.models import ClientStatusAction
from backoffice.caseload.selectors import (
    authorizations_of_therapist,
    client_status_requests_of_therapist,
    clients_of_therapist,
    clients_with_pending_request,
    portal_client,
    renewal_document_filename,
)
from backoffice.caseload.services import authorization_renewal_upload, client_status_request_create
from backoffice.documents.downloads import stored_document_response
from backoffice.documents.zips import pdf_response
from backoffice.payouts.selectors import statements_for_documents, statements_of_therapist
from backoffice.payouts.services.pdf import statement_pdf, statement_pdf_filename
from backoffice.reports.selectors import (
    last_full_month,
    reservations_in_force,
    room_utilization,
    week_agenda,
    week_start_of,
)
from backoffice.scheduling.models import AppointmentStatus
from backoffice.scheduling.selectors import appointments_of_therapist
from backoffice.scheduling.services import appointment_outcome_record
from portal.filters import ClientFilter, ScheduleFilter
from portal.forms import AttendanceForm, ClientRequestForm, RenewalUploadForm
from portal.tables import ClientSessionTable, ClientTable, SessionTable, StatementTable

UPCOMING_SHOWN = 10


def landing(request):
    """After sign-in, and at the site root: staff go to the admin, clients to their pages,
    therapists to the portal."""
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("client:home" if portal_client(user=request.user) else "portal:home")


class TherapistRequiredMixin(LoginRequiredMixin):
    """Portal pages belong to therapists; staff are sent to the admin. `get_subject` finds the
    page's object among the therapist's own (a 404 otherwise) before anything else runs."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not hasattr(request.user, "therapist"):
            return redirect("admin:index") if request.user.is_staff else self.handle_no_permission()
        if not request.user.therapist.is_active:  # deactivated while signed in
            logout(request)
            return self.handle_no_permission()
        self.subject = self.get_subject(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    @property
    def therapist(self):
        return self.request.user.therapist

    def get_subject(self, **kwargs):
        return None

    def alert_count(self) -> int:
        return therapist_alert_count(therapist=self.therapist)

    def get_context_data(self, **kwargs):
        return super().get_context_data(alert_count=self.alert_count(), **kwargs)


class ServiceFormView(TherapistRequiredMixin, FormView):
    """A form whose valid data goes to one service for the signed-in therapist; a refusal is
    shown on the form and changes nothing."""

    template_name = "portal/form_page.html"

    def run(self, form) -> str:
        """Call the service; return what to tell the therapist."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            done = self.run(form)
        except ValidationError as error:
            form.add_error(None, ValidationError(error.messages))
            return self.form_invalid(form)
        messages.success(self.request, done)
        return redirect(self.get_success_url())


class HomeView(TherapistRequiredMixin, TemplateView):
    """What needs the therapist now: alerts, today's sessions, requests waiting for staff
    and those answered in the last month."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        sessions = ScheduleFilter(
            {"period": "today"}, queryset=appointments_of_therapist(therapist=self.therapist)
        ).qs
        requests = client_status_requests_of_therapist(
            therapist=self.therapist, decided_since=today - timedelta(days=30)
        )
        return super().get_context_data(
            alerts=therapist_alerts(therapist=self.therapist, today=today),
            today_table=SessionTable(sessions, orderable=False),
            requests=requests,
            **kwargs,
        )


class ClientListView(TherapistRequiredMixin, SingleTableMixin, FilterView):
    template_name = "portal/clients.html"
    table_class = ClientTable
    filterset_class = ClientFilter
    # The colour is computed from the sessions: pages go on without counting them.
    table_pagination = {"per_page": 25, "paginator_class": LazyPaginator}

    def get_queryset(self):
        return clients_with_authorizations(clients_of_therapist(therapist=self.therapist))


class ClientDetailView(TherapistRequiredMixin, TemplateView):
    """One of the therapist's clients: colour, authorizations with usage, upcoming and past
    sessions with what billing says of them, payment state, and whether a request about them
    waits for staff (requests and their answers are on the home page)."""

    template_name = "portal/client.html"

    def get_subject(self, pk):
        clients = clients_with_status(clients_of_therapist(therapist=self.therapist))
        # The header's alert count comes with the client: the page stays within its queries.
        clients = clients_with_pending_request(clients).annotate(
            alerts=therapist_alert_count_expression(therapist=self.therapist)
        )
        return get_object_or_404(clients, pk=pk)

    def alert_count(self) -> int:
        return self.subject.alerts

    def get_context_data(self, **kwargs):
        client = self.subject
        sessions = appointments_of_therapist(therapist=self.therapist).filter(clients=client)
        now = timezone.now()
        past = ClientSessionTable(
            sessions_with_payment_facts(sessions.filter(starts_at__lt=now)).order_by(
                "-starts_at", "-pk"
            )
        )
        RequestConfig(
            self.request, paginate={"per_page": 20, "paginator_class": LazyPaginator}
        ).configure(past)
        return super().get_context_data(
            client=client,
            authorizations=authorizations_with_status(client.authorizations.all())
            .select_related("payer")
            .order_by("-valid_until", "-pk"),
            upcoming=SessionTable(
                sessions.filter(starts_at__gte=now, status=AppointmentStatus.SCHEDULED).order_by(
                    "starts_at"
                )[:UPCOMING_SHOWN],
                orderable=False,
                exclude=["client"],
            ),
            past=past,
            payments=sessions_payment_summary(sessions),
            request_form=ClientRequestForm(),
            today=timezone.localdate(),
            **kwargs,
        )


class ClientRequestView(ServiceFormView):
    """Ask staff to activate or deactivate the client (the opposite of their state now)."""

    form_class = ClientRequestForm

    def get_subject(self, pk):
        return get_object_or_404(clients_of_therapist(therapist=self.therapist), pk=pk)

    def get_context_data(self, **kwargs):
        action = self.action()
        return super().get_context_data(
            title=ClientStatusAction(action).label, subject=self.subject, **kwargs
        )

    def action(self) -> str:
        return (
            ClientStatusAction.DEACTIVATE if self.subject.is_active else ClientStatusAction.ACTIVATE
        )

    def run(self, form):
        client_status_request_create(
            therapist=self.therapist,
            client=self.subject,
            action=self.action(),
            reason=form.cleaned_data["reason"],
        )
        return _("Your request was sent to staff; you will see their answer here.")

    def get_success_url(self):
        return reverse("portal:client", args=[self.subject.pk])


class RenewalUploadView(ServiceFormView):
    """Upload the renewal documents of one of the therapist's clients' authorizations."""

    form_class = RenewalUploadForm

    def get_subject(self, pk):
        authorizations = authorizations_of_therapist(therapist=self.therapist)
        return get_object_or_404(authorizations.select_related("payer", "client"), pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Renewal documents"),
            subject=self.subject,
            requirements=self.subject.payer.renewal_requirements,
            multipart=True,
            **kwargs,
        )

    def run(self, form):
        authorization_renewal_upload(
            therapist=self.therapist,
            authorization=self.subject,
            document=form.cleaned_data["document"],
            note=form.cleaned_data["note"],
        )
        return _("Renewal documents sent; staff will forward them to the payer.")

    def get_success_url(self):
        return reverse("portal:client", args=[self.subject.client_id])


class RenewalDocumentView(TherapistRequiredMixin, View):
    """The renewal document of one of the therapist's clients' authorizations."""

    def get_subject(self, pk):
        return get_object_or_404(
            authorizations_of_therapist(therapist=self.therapist).exclude(renewal_document=""),
            pk=pk,
        )

    def get(self, request, pk):
        return stored_document_response(
            self.subject.renewal_document.name,
            filename=renewal_document_filename(self.subject),
        )


class ScheduleView(TherapistRequiredMixin, SingleTableMixin, FilterView):
    template_name = "portal/schedule.html"
    table_class = SessionTable
    filterset_class = ScheduleFilter
    # Years of sessions: pages go back without counting them all.
    table_pagination = {"per_page": 25, "paginator_class": LazyPaginator}

    def get_queryset(self):
        return appointments_of_therapist(therapist=self.therapist)


class WeekView(TherapistRequiredMixin, TemplateView):
    """The therapist's week, day by day, with their room blocks."""

    template_name = "portal/week.html"

    def get_context_data(self, **kwargs):
        try:
            picked = date.fromisoformat(self.request.GET.get("week", ""))
        except ValueError:
            picked = timezone.localdate()
        monday = week_start_of(picked)
        return super().get_context_data(
            days=week_agenda(therapist=self.therapist, week_start=monday),
            monday=monday,
            previous_week=monday - timedelta(days=7),
            next_week=monday + timedelta(days=7),
            today=timezone.localdate(),
            **kwargs,
        )


class AttendanceView(ServiceFormView):
    """Record what happened at one of the therapist's sessions."""

    form_class = AttendanceForm

    def get_subject(self, pk):
        return get_object_or_404(appointments_of_therapist(therapist=self.therapist), pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Attendance"), subject=self.subject, session=self.subject, **kwargs
        )

    def run(self, form):
        appointment = appointment_outcome_record(
            therapist=self.therapist,
            appointment=self.subject,
            outcome=form.cleaned_data["outcome"],
            cancelled_at=form.cleaned_data["cancelled_at"],
        )
        return _("Recorded: %(status)s.") % {"status": appointment.get_status_display()}

    def get_success_url(self):
        back = self.request.GET.get("next")
        if back and url_has_allowed_host_and_scheme(
            back, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return back
        return reverse("portal:schedule")


class RoomsView(TherapistRequiredMixin, TemplateView):
    """The therapist's weekly room blocks, and how much of them their sessions used this
    month so far and last month."""

    template_name = "portal/rooms.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        last_from, last_to = last_full_month(today)
        periods = [
            (_("This month so far"), today.replace(day=1), today),
            (_("Last month"), last_from, last_to),
        ]
        return super().get_context_data(
            reservations=reservations_in_force(
                date_from=today, date_to=today + timedelta(days=366), therapist=self.therapist
            ),
            utilization=[
                (label, room_utilization(date_from=start, date_to=end, therapist=self.therapist))
                for label, start, end in periods
            ],
            **kwargs,
        )


class StatementListView(TherapistRequiredMixin, SingleTableView):
    """The therapist's monthly statements: what was paid out, what is held, the payouts."""

    template_name = "portal/statements.html"
    table_class = StatementTable
    table_pagination = {"per_page": 24}

    def get_queryset(self):
        return statements_of_therapist(therapist=self.therapist)


class StatementPdfView(TherapistRequiredMixin, View):
    def get_subject(self, pk):
        statements = statements_for_documents(statements_of_therapist(therapist=self.therapist))
        return get_object_or_404(statements, pk=pk)

    def get(self, request, pk):
        return pdf_response(
            statement_pdf(statement=self.subject), statement_pdf_filename(self.subject)
        )
