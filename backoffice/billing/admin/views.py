"""The billing admin's custom pages, each opened from its ModelAdmin's URLs: form pages are
CaseloadFormViews, table pages UnfoldModelAdminViewMixin + TemplateView (unfold's pattern for
custom admin views). Every service they call goes through CaseloadAdmin.run_service."""

import secrets
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.admin_base import CaseloadFormView
from backoffice.billing.admin.forms import (
    GenerateInvoicesForm,
    PaymentsImportForm,
    SetAsideDecisionForm,
    TakePaymentForm,
)
from backoffice.billing.models import Payment, PaymentMethod, SetAsideOutcome
from backoffice.billing.selectors import (
    BUCKETS,
    DEADLINE_WARNING_DAYS,
    receivables_aging,
    sessions_near_submission_deadline,
    sessions_payable,
    sessions_set_aside,
    sessions_with_payment_facts,
)
from backoffice.billing.services import invoices_generate
from backoffice.billing.services.imports import (
    MAX_CELL_CHARS,
    MAX_EMPTY_ROWS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    payments_import,
    staged_import_delete,
    staged_import_save,
    staged_import_take,
)
from backoffice.billing.services.payments import payment_record, session_payment_refusal
from backoffice.billing.services.set_aside import set_aside_decide
from backoffice.caseload.models import Client
from backoffice.documents.formatting import money
from backoffice.scheduling.models import Appointment

PREVIEW_ROWS = 500
PREVIEW_REPEATED = 50


def admin_page(model_admin, view) -> Callable:
    """A custom page of `model_admin` for its `get_urls`: behind the admin's sign-in, with
    the view's own permission."""
    return model_admin.admin_site.admin_view(view.as_view(model_admin=model_admin))


def payments_import_allowed(user) -> bool:
    """Importing money has its own permission, held by finance and administrators
    (docs/quality.md, permissions)."""
    return user.is_active and user.is_staff and user.has_perm("billing.import_payment")


# --- Invoices ------------------------------------------------------------------------------


class GenerateInvoicesView(CaseloadFormView):
    """Run invoicing for a month (optionally one payer) and report what it did."""

    title = _("Generate invoices for a month")
    permission_required = ("billing.add_invoice",)
    form_class = GenerateInvoicesForm
    form_id = "generate-invoices-form"
    submit_name = "_generate"
    submit_label = _("Generate draft invoices")
    intro = _(
        "The month's completed sessions, and the late cancellations and no-shows that are "
        "charged, go on draft invoices: one per payer (or per client, when the payer wants "
        "that) and one per self-paying client. Sessions already on an invoice are skipped, so "
        "running a month again only adds what is new."
    )

    def form_valid(self, form):
        month = form.cleaned_data["month"]
        result = self.model_admin.run_service(
            self.request,
            invoices_generate,
            form=form,
            done=lambda result: (
                _(
                    "%(month)s: %(lines)d session(s) invoiced; %(created)d new draft(s), "
                    "%(extended)d draft(s) completed."
                )
                % {
                    "month": f"{month:%Y-%m}",
                    "lines": result.lines_added_count,
                    "created": result.created_count,
                    "extended": len(result) - result.created_count,
                }
            ),
            month=month,
            bill_to=form.cleaned_data.get("payer"),
            by=self.request.user,
        )
        if result is None:
            return self.form_invalid(form)
        changelist = reverse("admin:billing_invoice_changelist")
        return redirect(f"{changelist}?status__exact=draft")


# --- Payer limits --------------------------------------------------------------------------


class SessionsListView(UnfoldModelAdminViewMixin, TemplateView):
    """A list of sessions under the invoices (admin/billing/invoice/sessions.html)."""

    permission_required = ("billing.view_invoice",)

    def get_sessions(self) -> list:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "opts": self.model_admin.model._meta,
            "sessions": self.get_sessions(),
        }


class SetAsideView(SessionsListView):
    """Sessions the month run set aside at their payer's limits, each with its decision."""

    title = _("Sessions set aside at payer limits")
    template_name = "admin/billing/invoice/set_aside.html"
    extra_context = {"outcomes": SetAsideOutcome.choices}

    def get_sessions(self) -> list:
        return sessions_set_aside()

    def get_context_data(self, **kwargs):
        may_decide = self.request.user.has_perm("billing.change_invoice")
        return {**super().get_context_data(**kwargs), "may_decide": may_decide}

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("billing.change_invoice"):
            raise PermissionDenied
        form = SetAsideDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose what to do with the session."))
            return redirect("admin:billing_invoice_set_aside")
        appointment = get_object_or_404(Appointment, pk=form.cleaned_data["appointment"])
        self.model_admin.run_service(
            request,
            set_aside_decide,
            done=lambda decision: (
                _("Session #%(pk)s: %(decision)s.")
                % {"pk": appointment.pk, "decision": decision.get_outcome_display().lower()}
            ),
            appointment=appointment,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
        return redirect("admin:billing_invoice_set_aside")


class DeadlinesView(SessionsListView):
    """Sessions to submit to their payer before its submission deadline passes."""

    title = _("Payer submission deadlines")
    template_name = "admin/billing/invoice/deadlines.html"
    extra_context = {"within_days": DEADLINE_WARNING_DAYS}

    def get_sessions(self) -> list:
        return sessions_near_submission_deadline()


# --- Payments ------------------------------------------------------------------------------


class TakePaymentView(CaseloadFormView):
    """A self-paying client pays at the session: tick the sessions, record the money; they are
    paid at once and the receipt is emailed (billing.services.payments.payment_record).

    Opened from an appointment (`?appointment=<id>`, that session ticked) or a client's page
    (`?client=<id>`).
    """

    title = _("Take payment")
    form_class = TakePaymentForm
    template_name = "admin/billing/payment/take.html"
    permission_required = ("billing.add_payment",)
    form_id = "take-payment-form"
    submit_name = "_take"
    submit_label = _("Record the payment")
    intro = _(
        "Tick the sessions this payment is for: they are paid at once, the client gets a "
        "numbered receipt by email, and the month's invoice will show them as paid."
    )

    def get_form_kwargs(self):
        # Here, not in dispatch: after the permission check (bad ids answer 404).
        appointment_id = self.request.GET.get("appointment", "")
        client_id = self.request.GET.get("client", "")
        self.appointment = None
        if appointment_id:
            self.appointment = get_object_or_404(
                sessions_with_payment_facts().select_related("billing_client"),
                pk=int(appointment_id) if appointment_id.isdigit() else 0,
            )
            self.client = self.appointment.billing_client
        else:
            self.client = get_object_or_404(Client, pk=int(client_id) if client_id.isdigit() else 0)
        self.title = _("Take payment from %(client)s") % {"client": self.client}
        self.payable = sessions_payable(client=self.client)
        return {**super().get_form_kwargs(), "payable": self.payable}

    def get_initial(self):
        ticked = [s for s in self.payable if self.appointment and s.pk == self.appointment.pk]
        return {
            "sessions": [session.pk for session in ticked],
            "amount": sum((session.due_amount for session in ticked), Decimal("0.00")) or None,
            "received_on": timezone.localdate(),
            "method": PaymentMethod.CARD,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)  # builds the form, which loads the client
        refusal = None
        if self.appointment is not None:
            refusal = session_payment_refusal(
                appointment=self.appointment, client_id=self.client.pk
            )
        return {
            **context,
            "title": self.title,
            "opts": Payment._meta,
            "client": self.client,
            "refusal": refusal,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        count = len(data["sessions"])
        payment = self.model_admin.run_service(
            self.request,
            payment_record,
            form=form,
            done=lambda payment: (
                ngettext(
                    "%(amount)s received from %(client)s: %(count)d session paid, receipt "
                    "%(receipt)s emailed.",
                    "%(amount)s received from %(client)s: %(count)d sessions paid, receipt "
                    "%(receipt)s emailed.",
                    count,
                )
                % {
                    "amount": money(payment.amount),
                    "client": self.client,
                    "count": count,
                    "receipt": payment.receipt.number,
                }
            ),
            client=self.client,
            amount=data["amount"],
            received_on=data["received_on"],
            method=data["method"],
            reference=data.get("reference", ""),
            sessions=data["sessions"],
            by=self.request.user,
        )
        if payment is None:
            return self.form_invalid(form)
        return redirect("admin:billing_payment_change", payment.pk)


class PaymentsImportView(CaseloadFormView):
    """Upload → preview (a dry run: what would be recorded, every problem by line) → confirm.

    The previewed file waits in the configured storage (services.imports.staged_import_save);
    the session maps the page's random token to it, so the confirmed import records exactly
    the file previewed (checked again under lock). Confirm or cancel deletes it; the worker
    sweeps what is left after a day.
    """

    title = _("Import payments")
    form_class = PaymentsImportForm
    template_name = "admin/billing/payment/import.html"
    submit_label = _("Check the file")
    submit_name = "_preview"
    permission_required = ("billing.add_payment",)

    def has_permission(self):
        return payments_import_allowed(self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "required_columns": REQUIRED_COLUMNS,
            "optional_columns": OPTIONAL_COLUMNS,
            "methods": PaymentMethod.values,
            "limits": {
                "rows": number_format(MAX_ROWS, force_grouping=True),
                "empty_rows": number_format(MAX_EMPTY_ROWS, force_grouping=True),
                "cell_chars": MAX_CELL_CHARS,
            },
        }

    def _preview(self, result, *, token: str | None, name: str):
        return self.render_to_response(
            self.get_context_data(
                form=self.get_form_class()(),
                result=result,
                shown_problems=result.problems[:PREVIEW_ROWS],
                hidden_problems=max(len(result.problems) - PREVIEW_ROWS, 0),
                shown_repeated=result.repeated[:PREVIEW_REPEATED],
                hidden_repeated=max(len(result.repeated) - PREVIEW_REPEATED, 0),
                shown_lines=result.lines[:PREVIEW_ROWS],
                hidden_count=max(len(result.lines) - PREVIEW_ROWS, 0),
                token=token,
                file_name=name,
            )
        )

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", _("The file is larger than 10 MB."))
            return self.form_invalid(form)
        name, content = upload.name, upload.read()
        result = self.model_admin.run_service(
            self.request, payments_import, name=name, content=content, dry_run=True
        )
        token = None
        if result.ok:
            token = secrets.token_urlsafe(16)
            path = staged_import_save(name=name, content=content)
            self.request.session[f"payments-import:{token}"] = {"path": path, "name": name}
        return self._preview(result, token=token, name=name)

    def post(self, request, *args, **kwargs):
        if "_confirm" not in request.POST and "_cancel" not in request.POST:
            return super().post(request, *args, **kwargs)
        staged = request.session.pop(f"payments-import:{request.POST.get('token', '')}", None)
        if "_cancel" in request.POST:
            if staged:
                staged_import_delete(path=staged["path"])
            messages.info(request, _("Import cancelled: nothing was recorded."))
            return redirect("admin:billing_payment_import")
        content = staged_import_take(path=staged["path"]) if staged else None
        if content is None:
            messages.error(request, _("That preview has expired: upload the file again."))
            return redirect("admin:billing_payment_import")
        result = self.model_admin.run_service(
            request,
            payments_import,
            done=lambda result: (
                _("%(payments)s payment(s) recorded from %(rows)s row(s), %(total)s in all.")
                % {
                    "payments": result.payments_count,
                    "rows": len(result.lines),
                    "total": money(result.total_amount),
                }
                if result.saved
                else None
            ),
            name=staged["name"],
            content=content,
            by=request.user,
            repeated_rows_confirmed=request.POST.get("repeated_rows_confirmed") == "1",
        )
        if not result.saved:
            return self._preview(result, token=None, name=staged["name"])
        return redirect("admin:billing_payment_changelist")


class ReceivablesView(UnfoldModelAdminViewMixin, TemplateView):
    """What payers and direct clients owe, by age, each row linking to its invoices."""

    title = _("Receivables")
    template_name = "admin/billing/payment/receivables.html"
    permission_required = ("billing.view_invoice",)

    def get_context_data(self, **kwargs):
        try:
            on = date.fromisoformat(self.request.GET.get("on", ""))
        except ValueError:
            on = timezone.localdate()
        report = receivables_aging(on=on)
        invoices_url = reverse("admin:billing_invoice_changelist")
        for row in report.payers:
            row.url = f"{invoices_url}?status__exact=issued&payer__id__exact={row.pk}"
        for row in report.clients:
            row.url = (
                f"{invoices_url}?status__exact=issued&payer__isnull=True&client__id__exact={row.pk}"
            )
        for row in report.payers + report.clients:
            row.overdue_url = f"{row.url}&due_on__lt={on:%Y-%m-%d}"
            row.amounts = [row.buckets[key] for key, *_rest in BUCKETS]
        return {
            **super().get_context_data(**kwargs),
            "report": report,
            "bucket_labels": [label for _key, label, *_rest in BUCKETS],
            "bucket_totals": [report.totals[key] for key, *_rest in BUCKETS],
            "sections": [
                (_("Payers"), report.payers),
                (_("Direct clients"), report.clients),
            ],
        }
