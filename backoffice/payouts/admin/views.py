"""The statement admin's pages (unfold's custom views): the month run, a payout run for the
selected statements, and the email preview."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.admin_base import CaseloadFormView, PickedRowsFormView
from backoffice.documents.formatting import money, month
from backoffice.messaging.models import MessageTemplate, Purpose
from backoffice.messaging.selectors import message_template_of
from backoffice.payouts.admin.forms import PayoutForm, RunStatementsForm
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.services import (
    PayoutsRecorded,
    StatementRun,
    statements_generate,
    statements_payout_record,
)
from backoffice.payouts.services.pdf import statement_language, statement_pdf_filename
from backoffice.payouts.services.sending import statement_email


def month_param(day) -> str:
    """The month as the list's month filter takes it."""
    return f"{day:%Y-%m}"


def run_summary(run: StatementRun) -> str:
    return _(
        "%(month)s: %(created)d new draft(s), %(regenerated)d draft(s) regenerated, "
        "%(removed)d emptied draft(s) removed, %(kept)d sent or paid statement(s) left as "
        "they are; %(paid)d session(s) paid out, %(held)d held."
    ) % {
        "month": month_param(run.month),
        "created": run.created,
        "regenerated": run.regenerated,
        "removed": run.removed,
        "kept": run.kept,
        "paid": run.paid_lines,
        "held": run.held_lines,
    }


class RunStatementsView(CaseloadFormView):
    """Create or regenerate a month's draft statements and report what the run did."""

    title = _("Run statements for a month")
    permission_required = ("payouts.add_statement", "payouts.change_statement")
    form_class = RunStatementsForm
    form_id = "run-statements-form"
    submit_name = "_run"
    submit_label = _("Run statements")
    intro = _(
        "Each therapist gets a draft statement for the month: the sessions paid by the month's "
        "last day are paid out, the sessions delivered but not yet paid are held until they "
        "are. Running a month again rebuilds its drafts from today's payments and rates; sent "
        "and paid statements are left as they are."
    )

    def form_valid(self, form):
        run = self.model_admin.run_service(
            self.request,
            statements_generate,
            form=form,
            done=run_summary,
            warnings=lambda run: run.problems,
            month=form.cleaned_data["month"],
            therapist=form.cleaned_data.get("therapist"),
            by=self.request.user,
        )
        if run is None:
            return self.form_invalid(form)
        changelist = reverse("admin:payouts_statement_changelist")
        return redirect(f"{changelist}?month={month_param(run.month)}")


def _payouts_done(result: PayoutsRecorded) -> str:
    if not result.recorded:
        return ""
    return (
        ngettext("%d statement marked paid.", "%d statements marked paid.", result.recorded)
        % result.recorded
    )


class RecordPayoutsView(PickedRowsFormView):
    """One payout run for the statements selected in the list: its date and reference."""

    title = _("Record a payout")
    permission_required = ("payouts.change_statement",)
    template_name = "admin/payouts/statement/record_payouts.html"
    form_class = PayoutForm
    form_id = "record-payouts-form"
    submit_name = "_record"
    submit_label = _("Record payout")
    statements: list[Statement] = ()  # given by the action: as_view(statements=…)

    def form_valid(self, form):
        result = self.model_admin.run_service(
            self.request,
            statements_payout_record,
            form=form,
            done=_payouts_done,
            warnings=lambda result: result.refused,
            statements=self.statements,
            paid_on=form.cleaned_data["paid_on"],
            reference=form.cleaned_data["reference"],
            by=self.request.user,
        )
        if result is None:
            return self.form_invalid(form)
        return redirect(self.request.get_full_path())  # the list, as the admin's actions end

    def get_context_data(self, **kwargs):
        sent = [s for s in self.statements if s.status == StatementStatus.SENT]
        return super().get_context_data(
            **kwargs,
            statements=self.statements,
            sent_count=len(sent),
            total=money(sum((s.net_amount for s in sent), Decimal("0.00"))),
        )


class StatementEmailPreviewView(UnfoldModelAdminViewMixin, TemplateView):
    """The subject and text this statement's email carries, as the therapist will read them."""

    permission_required = ("payouts.view_statement",)
    template_name = "admin/payouts/statement/email_preview.html"

    @property
    def title(self):
        return _("Email preview: %(statement)s") % {"statement": self.statement}

    def get(self, request, *args, **kwargs):  # after the permission check in dispatch
        self.statement = self.model_admin.get_object(request, str(kwargs["object_id"]))
        if self.statement is None:
            raise Http404(_("No such statement."))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        statement = self.statement
        subject, body = statement_email(statement)
        return super().get_context_data(
            **kwargs,
            opts=Statement._meta,
            original=statement,
            statement=statement,
            subject=subject,
            body=body,
            recipient=statement.therapist.email,
            attachment=statement_pdf_filename(statement),
            therapist_name=statement.therapist.full_name,
            net=money(statement.net_amount),
            period=month(statement.period_start),
            change_url=reverse("admin:payouts_statement_change", args=[statement.pk]),
            template_url=self._template_url(statement),
        )

    def _template_url(self, statement: Statement) -> str | None:
        """Where staff edit the statement email in the therapist's language, if they may."""
        site = self.model_admin.admin_site
        if not site.is_registered(MessageTemplate):
            return None
        language = statement_language(statement)
        user = self.request.user
        template = message_template_of(purpose=Purpose.STATEMENT, language=language)
        if template is not None:
            if not user.has_perm("messaging.change_messagetemplate"):
                return None
            return reverse(f"{site.name}:messaging_messagetemplate_change", args=[template.pk])
        if not user.has_perm("messaging.add_messagetemplate"):
            return None
        add = reverse(f"{site.name}:messaging_messagetemplate_add")
        return f"{add}?purpose={Purpose.STATEMENT}&language={language}"
