"""Caseload's custom admin pages: a therapist's clients, and the forms that renew, extend,
activate or deactivate one object, or decide a therapist's request about a client; an
authorization's renewal document."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.access.models import AccessKind
from backoffice.access.services import record_access
from backoffice.admin_base import CaseloadObjectFormView
from backoffice.billing.selectors import therapist_caseload
from backoffice.caseload.admin.colours import status_label, status_legend
from backoffice.caseload.admin.forms import (
    ActivationForm,
    DecisionForm,
    ExtensionForm,
    RenewalSubmitForm,
)
from backoffice.caseload.models import Authorization, Therapist, client_status_request_line
from backoffice.caseload.selectors import renewal_document_filename
from backoffice.caseload.services import (
    authorization_extend,
    authorization_renewal_submit,
    client_activate,
    client_deactivate,
    client_status_request_decide,
)
from backoffice.documents.downloads import stored_document_response

# Deciding a request may change its client.
DECIDE_PERMISSIONS = ("caseload.change_clientstatusrequest", "caseload.change_client")


class TherapistCaseloadView(UnfoldModelAdminViewMixin, TemplateView):
    """One therapist's clients: direct / indirect, active / deactivated, with their colour."""

    template_name = "caseload/admin/therapist_caseload.html"
    permission_required = ("caseload.view_therapist", "caseload.view_client")

    def get_context_data(self, **kwargs):
        therapist = get_object_or_404(Therapist, pk=self.kwargs["object_id"])
        self.title = _("Clients of %(therapist)s") % {"therapist": therapist}
        sections = therapist_caseload(therapist=therapist)
        for section in sections:
            for client in section["clients"]:
                client.status_label = status_label(client.status)
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "therapist": therapist,
                "sections": sections,
                "legend": status_legend(),
                "may_change_clients": self.request.user.has_perm("caseload.change_client"),
            }
        )
        return context


class ClientActivationView(CaseloadObjectFormView):
    """Activate or deactivate one client, with why (kept in history); back to `next`."""

    form_class = ActivationForm
    permission_required = ("caseload.change_client",)
    active = True

    @property
    def title(self):
        title = _("Activate %(client)s") if self.active else _("Deactivate %(client)s")
        return title % {"client": self.object}

    def form_valid(self, form):
        message = _("%(client)s is active.") if self.active else _("%(client)s is deactivated.")
        self.model_admin.run_service(
            self.request,
            client_activate if self.active else client_deactivate,
            done=message % {"client": self.object},
            client=self.object,
            note=form.cleaned_data["note"],
        )
        return super().form_valid(form)


class AuthorizationRenewalView(CaseloadObjectFormView):
    """Renewal documents sent to the payer: the client shows pink until the extension."""

    form_class = RenewalSubmitForm
    permission_required = ("caseload.change_authorization",)
    intro = _("The client shows pink until the payer's extension is entered.")

    @property
    def title(self):
        return _("Renewal documents for %(authorization)s") % {"authorization": self.object}

    def get_initial(self):
        return {"submitted_at": timezone.localtime()}

    def form_valid(self, form):
        done = self.model_admin.run_service(
            self.request,
            authorization_renewal_submit,
            form=form,
            done=_("Renewal documents recorded for %(authorization)s.")
            % {"authorization": self.object},
            authorization=self.object,
            by=self.request.user,
            **form.cleaned_data,
        )
        return super().form_valid(form) if done else self.form_invalid(form)


class AuthorizationExtendView(CaseloadObjectFormView):
    """The payer's extension: more sessions, a later expiry, or both."""

    form_class = ExtensionForm
    permission_required = ("caseload.change_authorization",)

    @property
    def title(self):
        return _("Extend %(authorization)s") % {"authorization": self.object}

    def get_intro(self):
        return _(
            "Now %(sessions)s sessions until %(until)s. An extension raises the sessions "
            "and/or moves the expiry later; it never lowers them."
        ) % {"sessions": self.object.sessions_approved, "until": self.object.valid_until}

    def form_valid(self, form):
        done = self.model_admin.run_service(
            self.request,
            authorization_extend,
            form=form,
            done=_("%(authorization)s extended.") % {"authorization": self.object},
            authorization=self.object,
            **form.cleaned_data,
        )
        return super().form_valid(form) if done else self.form_invalid(form)


class ClientStatusRequestDecideView(CaseloadObjectFormView):
    """Approve (the client is activated or deactivated) or decline a therapist's request, with
    an optional note; back to the list. A request already decided goes back with a warning."""

    form_class = DecisionForm
    permission_required = DECIDE_PERMISSIONS
    approve = True

    def get_queryset(self):
        return super().get_queryset().select_related("client", "therapist")

    @property
    def title(self):
        title = (
            _("Approve the request about %(client)s")
            if self.approve
            else _("Decline the request about %(client)s")
        )
        return title % {"client": self.object.client}

    def get_intro(self):
        request = self.object
        return client_status_request_line(
            therapist=request.therapist.full_name, action=request.action, reason=request.reason
        )

    def done_url(self):
        return reverse("admin:caseload_clientstatusrequest_changelist")

    def already_done(self):
        return self.object.already_decided()

    def form_valid(self, form):
        done = (
            _("Request about %(client)s approved.")
            if self.approve
            else _("Request about %(client)s declined.")
        )
        self.model_admin.run_service(  # refused: decided meanwhile by someone else
            self.request,
            client_status_request_decide,
            done=done % {"client": self.object.client},
            request=self.object,
            approve=self.approve,
            by=self.request.user,
            note=form.cleaned_data["note"],
        )
        return redirect(self.get_success_url())


class RenewalDocumentView(PermissionRequiredMixin, View):
    """An authorization's renewal document, for staff who may see authorizations."""

    permission_required = "caseload.view_authorization"

    def get(self, request, object_id):
        authorization = get_object_or_404(
            Authorization.objects.exclude(renewal_document=""), pk=object_id
        )
        record_access(request, AccessKind.DOCUMENT, authorization)
        return stored_document_response(
            authorization.renewal_document.name,
            filename=renewal_document_filename(authorization),
        )
