"""The client pages. A client signs in by an emailed link (django-sesame) and reaches only
their own file: every object is found through a selector that starts from the signed-in
client (their sessions, their invoices, their receipts), so another client's id is a 404;
every change goes through the domain's services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from backoffice.billing.selectors import (
    invoices_for_documents,
    invoices_of_client,
    receipts_of_client,
)
from backoffice.billing.services import invoice_pdf, invoice_pdf_filename, receipt_pdf
from backoffice.caseload.selectors import portal_client
from backoffice.caseload.services import (
    CLIENT_SIGN_IN_SCOPE,
    client_preferences_save,
    client_sign_in_link_send,
)
from backoffice.documents.zips import pdf_response
from backoffice.scheduling.models import AppointmentStatus, ConfirmedVia
from backoffice.scheduling.selectors import appointments_of_client
from backoffice.scheduling.services import appointment_cancel_by_client, appointment_confirm
from portal.client.forms import PreferencesForm, SignInForm

UPCOMING_SHOWN = 20
# Where an emailed link's token waits between opening the link and pressing Sign in.
LINK_SESSION_KEY = "client_sign_in_link"


class SignInView(FormView):
    """A client asks for a sign-in link by email. The answer is the same whether or not the
    address is a client's: nothing tells who is a client of the clinic."""

    template_name = "client/sign_in.html"
    form_class = SignInForm
    success_url = reverse_lazy("client:sign_in_sent")

    def form_valid(self, form):
        client_sign_in_link_send(email=form.cleaned_data["email"])
        return super().form_valid(form)


class SignInSentView(TemplateView):
    template_name = "client/sign_in_sent.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(minutes=settings.SESAME_MAX_AGE // 60, **kwargs)


class LinkView(TemplateView):
    """An emailed sign-in link. Opening it signs no one in: the client presses Sign in, since
    mail scanners open links and would use up a link that works once. The token moves from the
    address into the session first, so it never sits in the history or a Referer."""

    template_name = "client/link.html"

    def get(self, request, *args, **kwargs):
        token = request.GET.get(settings.SESAME_TOKEN_NAME)
        if token is not None:
            request.session[LINK_SESSION_KEY] = token
            return redirect("client:link")
        return self.render_to_response(
            self.get_context_data(has_link=LINK_SESSION_KEY in request.session)
        )

    def post(self, request, *args, **kwargs):
        token = request.session.pop(LINK_SESSION_KEY, None)
        user = token and authenticate(request, sesame=token, scope=CLIENT_SIGN_IN_SCOPE)
        if not user or portal_client(user=user) is None:
            return self.render_to_response(self.get_context_data(has_link=False))
        login(request, user)  # a new last sign-in: the link works no more
        return redirect("client:home")


class ClientRequiredMixin(LoginRequiredMixin):
    """Client pages belong to a signed-in client (never staff nor a therapist: 403), shown in
    the client's language. `get_subject` finds the page's object among the client's own (a
    404 otherwise) before anything else runs."""

    login_url = reverse_lazy("client:sign_in")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.client = portal_client(user=request.user)
        if self.client is None:
            if getattr(request.user, "client_file", None) is None:
                raise PermissionDenied
            logout(request)  # the file was deactivated while signed in
            return self.handle_no_permission()
        translation.activate(self.client.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()
        self.subject = self.get_subject(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_subject(self, **kwargs):
        return None

    def get_context_data(self, **kwargs):
        return super().get_context_data(client=self.client, **kwargs)


class SessionsView(ClientRequiredMixin, TemplateView):
    """The client's upcoming sessions: when (Vancouver time), with whom, where, confirmed or
    not; each may be confirmed or cancelled."""

    template_name = "client/sessions.html"

    def get_context_data(self, **kwargs):
        sessions = (
            appointments_of_client(client=self.client)
            .filter(status=AppointmentStatus.SCHEDULED, starts_at__gte=timezone.now())
            .order_by("starts_at", "pk")
        )
        return super().get_context_data(
            sessions=sessions[:UPCOMING_SHOWN],
            window_hours=settings.LATE_CANCEL_WINDOW_HOURS,
            **kwargs,
        )


class SessionMixin(ClientRequiredMixin):
    def get_subject(self, pk):
        return get_object_or_404(appointments_of_client(client=self.client), pk=pk)


class ConfirmView(SessionMixin, View):
    def post(self, request, pk):
        try:
            appointment_confirm(
                appointment=self.subject, via=ConfirmedVia.CLIENT_PAGE, by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you: your session is confirmed."))
        return redirect("client:home")


class CancelView(SessionMixin, TemplateView):
    """Cancel one of the client's sessions, after they say so on this page; inside the
    late-cancellation window the service refuses with the clinic's message."""

    template_name = "client/cancel.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(session=self.subject, **kwargs)

    def post(self, request, pk):
        try:
            appointment_cancel_by_client(
                appointment=self.subject, client=self.client, late_allowed=False
            )
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages))
        messages.success(request, _("Your session is cancelled."))
        return redirect("client:home")


class DocumentsView(ClientRequiredMixin, TemplateView):
    """The invoices issued to the client and the receipts of their payments, as PDFs."""

    template_name = "client/documents.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            invoices=invoices_of_client(client=self.client),
            receipts=receipts_of_client(client=self.client),
            **kwargs,
        )


class InvoicePdfView(ClientRequiredMixin, View):
    def get_subject(self, pk):
        invoices = invoices_for_documents(invoices_of_client(client=self.client))
        return get_object_or_404(invoices, pk=pk)

    def get(self, request, pk):
        return pdf_response(invoice_pdf(invoice=self.subject), invoice_pdf_filename(self.subject))


class ReceiptPdfView(ClientRequiredMixin, View):
    def get_subject(self, pk):
        return get_object_or_404(receipts_of_client(client=self.client), pk=pk)

    def get(self, request, pk):
        return pdf_response(receipt_pdf(receipt=self.subject), f"{self.subject.number}.pdf")


class PreferencesView(ClientRequiredMixin, FormView):
    """How the client is reminded of their sessions, their consent to email and SMS, and the
    language of their pages and messages."""

    template_name = "client/preferences.html"
    form_class = PreferencesForm
    success_url = reverse_lazy("client:preferences")

    def get_initial(self):
        client = self.client
        return {
            "email_consent": client.email_consent,
            "sms_consent": client.sms_consent,
            "reminder_channel": client.reminder_channel,
            "preferred_language": client.preferred_language,
        }

    def form_valid(self, form):
        try:
            client_preferences_save(client=self.client, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, ValidationError(error.messages))
            return self.form_invalid(form)
        translation.activate(self.client.preferred_language)
        messages.success(self.request, _("Your choices are saved."))
        return super().form_valid(form)
