"""Therapist statements in the admin: read-only pages, changed only through the payouts services.

A statement is created and rebuilt by month runs (`services.statements_generate`), emailed by
`sending.statement_send` and marked paid by `services.statement_payout_record`; the pages here
only call them. Running, sending, regenerating and recording payouts need the change (and, for
runs, add) permission on statements, held by the finance and admin roles; PDFs, ZIPs and Excel
need `payouts.export_statement`. A draft may be deleted; nothing else is edited here.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
    DropdownFilter,
)
from unfold.decorators import action, display
from unfold.forms import BaseDialogForm
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.admin_base import CaseloadAdmin, CaseloadFormView, CaseloadTabularInline
from backoffice.billing.admin_documents import SEND_COLOURS
from backoffice.billing.sending import sending_refusal
from backoffice.caseload.models import Therapist
from backoffice.documents import XLSX, attachment
from backoffice.messaging.models import MessageTemplate, Purpose
from backoffice.money import money
from backoffice.payouts.exports import statements_xlsx, statements_zip_stream
from backoffice.payouts.models import Statement, StatementLine, StatementStatus
from backoffice.payouts.pdf import (
    client_label,
    period_label,
    statement_language,
    statement_pdf,
    statement_pdf_filename,
    statements_for_documents,
)
from backoffice.payouts.sending import statement_email, statement_send, statements_send_later
from backoffice.payouts.services import (
    StatementRun,
    statement_payout_record,
    statement_regenerate,
    statements_generate,
    statements_payout_record,
)

STATUS_COLOURS = {
    StatementStatus.DRAFT.label: "info",
    StatementStatus.SENT.label: "warning",
    StatementStatus.PAID.label: "success",
}


def _month_param(day: date) -> str:
    return f"{day:%Y-%m}"


def _run_summary(run: StatementRun) -> str:
    return _(
        "%(month)s: %(created)d new draft(s), %(regenerated)d draft(s) regenerated, "
        "%(removed)d emptied draft(s) removed, %(kept)d sent or paid statement(s) left as "
        "they are; %(paid)d session(s) paid out, %(held)d held."
    ) % {
        "month": _month_param(run.month),
        "created": run.created,
        "regenerated": run.regenerated,
        "removed": run.removed,
        "kept": run.kept,
        "paid": run.paid_lines,
        "held": run.held_lines,
    }


# --- the month run ------------------------------------------------------------------------


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


class RunStatementsForm(forms.Form):
    month = forms.DateField(
        label=capfirst(_("month")),
        widget=UnfoldAdminSingleDateWidget,
        initial=_last_month,
        help_text=_("Any day of the month to pay out."),
    )
    therapist = forms.ModelChoiceField(
        label=capfirst(_("therapist")),
        queryset=Therapist.objects.order_by("last_name", "first_name"),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text=_("Empty: every therapist."),
    )


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
            done=_run_summary,
            warnings=lambda run: run.problems,
            month=form.cleaned_data["month"],
            therapist=form.cleaned_data.get("therapist"),
            by=self.request.user,
        )
        if run is None:
            return self.form_invalid(form)
        changelist = reverse("admin:payouts_statement_changelist")
        return redirect(f"{changelist}?month={_month_param(run.month)}")


# --- the email preview --------------------------------------------------------------------


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
        opts = Statement._meta
        return super().get_context_data(
            **kwargs,
            opts=opts,
            original=statement,
            statement=statement,
            subject=subject,
            body=body,
            recipient=statement.therapist.email,
            attachment=statement_pdf_filename(statement),
            therapist_name=f"{statement.therapist.first_name} {statement.therapist.last_name}",
            net=money(statement.net_amount),
            period=period_label(statement),
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
        template = MessageTemplate.objects.filter(
            purpose=Purpose.STATEMENT, language=language
        ).first()
        if template is not None:
            if not user.has_perm("messaging.change_messagetemplate"):
                return None
            return reverse(f"{site.name}:messaging_messagetemplate_change", args=[template.pk])
        if not user.has_perm("messaging.add_messagetemplate"):
            return None
        add = reverse(f"{site.name}:messaging_messagetemplate_add")
        return f"{add}?purpose={Purpose.STATEMENT}&language={language}"


# --- dialogs --------------------------------------------------------------------------------


class PayoutForm(forms.Form):
    paid_on = forms.DateField(
        label=capfirst(_("paid on")), widget=UnfoldAdminSingleDateWidget, initial=timezone.localdate
    )
    reference = forms.CharField(
        label=capfirst(_("payout reference")),
        max_length=80,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("The cheque number or transfer reference."),
    )


class PayoutDialogForm(PayoutForm, BaseDialogForm):
    pass


PAYOUT_DIALOG = {
    "title": _("Record the payout of this statement?"),
    "description": _("The statement becomes paid, with the date and reference given."),
    "form_submit_text": _("Record payout"),
    "form_class": PayoutDialogForm,
}


# --- list and inline ----------------------------------------------------------------------


class StatementMonthFilter(DropdownFilter):
    """The months that have statements (a small table: about 200 rows a month)."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = (
            Statement.objects.order_by("-period_start")
            .values_list("period_start", flat=True)
            .distinct()
        )
        return [
            (_month_param(month), formats.date_format(month, "YEAR_MONTH_FORMAT"))
            for month in months
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            first = date.fromisoformat(f"{value}-01")
        except ValueError:
            return queryset.none()
        return queryset.filter(period_start=first)


class StatementLineInline(CaseloadTabularInline):
    """The sessions on a statement, as printed on its PDF; clients by initials and file number."""

    model = StatementLine
    fields = [
        "service_date",
        "kind",
        "client_initials",
        "service_type",
        "appointment_status",
        "paid_on",
        "price_amount",
        "service_fee_amount",
        "net_amount",
    ]
    readonly_fields = fields
    verbose_name_plural = _("sessions")
    hide_title = True  # each row's own title repeats its date and kind
    tab = False

    def get_queryset(self, request):
        # Paid out first, then held: as on the PDF.
        return (
            super()
            .get_queryset(request)
            .select_related("client", "service_type")
            .order_by("-kind", "service_date", "pk")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("client"))
    def client_initials(self, line):
        return client_label(line.client)


@admin.register(Statement)
class StatementAdmin(CaseloadAdmin):
    permission_fields = ("status", "send_status")
    list_display = [
        "therapist_name",
        "month",
        "status_label",
        "send_status_label",
        "paid_count",
        "net_amount",
        "held_count",
    ]
    list_select_related = ["therapist"]
    list_filter = [
        StatementMonthFilter,
        ("status", ChoicesDropdownFilter),
        ("send_status", ChoicesDropdownFilter),
        ("therapist", AutocompleteSelectFilter),
    ]
    search_fields = ["therapist__last_name", "therapist__first_name"]
    search_help_text = _("Search by therapist name.")
    ordering = ["-period_start", "therapist__last_name", "therapist__first_name"]
    inlines = [StatementLineInline]
    readonly_fields = ["month"]  # every field is read-only here: no change permission
    fieldsets = [
        (None, {"fields": ["therapist", ("month", "period_end"), "status"]}),
        (
            _("Amounts"),
            {
                "fields": [
                    ("gross_amount", "service_fee_amount", "net_amount"),
                    ("paid_count", "held_count", "held_amount"),
                    "generated_at",
                ]
            },
        ),
        (
            _("Sending and payout"),
            {
                "fields": [
                    ("send_status", "outbox_message", "sent_on"),
                    ("paid_on", "payout_reference"),
                ]
            },
        ),
    ]
    actions = ["send_selected", "record_payouts_selected", "download_pdfs_zip", "export_xlsx"]
    actions_list = ["run_month", "zip_filtered"]
    list_actions_on_shown_rows = ("documents-zip",)
    actions_detail = [
        "view_pdf",
        "download_pdf",
        "preview_email",
        "send_one",
        "regenerate_one",
        "record_payout",
    ]

    # --- permissions: the page is read-only; every change goes through an action --------

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        """Only a draft, and only from its own page (the next run would make it again)."""
        return (
            isinstance(obj, Statement)
            and obj.status == StatementStatus.DRAFT
            and request.user.has_perm("payouts.delete_statement")
        )

    def _may(self, request, obj, allowed) -> bool:
        if not request.user.has_perm("payouts.change_statement"):
            return False
        if obj is None:
            return True
        statement = self.permission_object(request, obj)
        return statement is not None and allowed(statement)

    # Methods, not dotted strings in @action: unfold's check would query Permission at startup.
    def has_run_permission(self, request, obj=None):
        return request.user.has_perm("payouts.add_statement") and request.user.has_perm(
            "payouts.change_statement"
        )

    def has_send_permission(self, request, obj=None):
        return self._may(request, obj, lambda statement: not sending_refusal(statement))

    def has_regenerate_permission(self, request, obj=None):
        return self._may(request, obj, lambda s: s.status == StatementStatus.DRAFT)

    def has_payout_permission(self, request, obj=None):
        return self._may(request, obj, lambda s: s.status == StatementStatus.SENT)

    def has_export_permission(self, request, obj=None):
        """PDFs in bulk and spreadsheets: their own permission (finance and administrators)."""
        return request.user.has_perm("payouts.export_statement")

    # --- columns ----------------------------------------------------------------------------

    @display(description=_("therapist"), ordering="therapist__last_name")
    def therapist_name(self, statement):
        return str(statement.therapist)

    @display(description=_("month"), ordering="period_start")
    def month(self, statement):
        return period_label(statement)

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, statement):
        return statement.get_status_display()

    @display(description=_("sending"), ordering="send_status", label=SEND_COLOURS)
    def send_status_label(self, statement):
        return statement.get_send_status_display()

    # --- list actions -----------------------------------------------------------------------

    @action(
        description=_("Run statements for a month"),
        url_path="run",
        permissions=["run"],
        icon="request_quote",
    )
    def run_month(self, request):
        return RunStatementsView.as_view(model_admin=self)(request)

    @action(
        description=_("PDFs of this list (ZIP)"),
        url_path="documents-zip",
        permissions=["export"],
        icon="folder_zip",
    )
    def zip_filtered(self, request):
        changelist = self.get_changelist_instance(request)
        return self._zip_response(changelist.get_queryset(request))

    # --- bulk actions on selected rows ------------------------------------------------------

    def _zip_response(self, queryset) -> StreamingHttpResponse:
        statement_ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        response = StreamingHttpResponse(
            statements_zip_stream(statement_ids=statement_ids), content_type="application/zip"
        )
        return attachment(response, "statements.zip")

    @action(description=_("Send by email"), permissions=["send"])
    def send_selected(self, request, queryset):
        result = statements_send_later(
            statements=queryset.select_related("therapist"), by=request.user
        )
        if result.sent:
            self.message_user(
                request,
                ngettext(
                    "%d statement queued for email.", "%d statements queued for email.", result.sent
                )
                % result.sent,
                messages.SUCCESS,
            )
        for refused in result.refused:
            self.message_user(request, refused, messages.WARNING)

    @action(description=_("Record payout"), permissions=["payout"])
    def record_payouts_selected(self, request, queryset):
        """One payout run for the selected statements: a page asks for its date and reference."""
        form = PayoutForm(request.POST if "_record" in request.POST else None)
        statements = list(queryset.select_related("therapist").order_by("therapist__last_name"))
        if form.is_bound and form.is_valid():
            try:
                result = statements_payout_record(
                    statements=statements,
                    paid_on=form.cleaned_data["paid_on"],
                    reference=form.cleaned_data["reference"],
                    by=request.user,
                )
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                if result.recorded:
                    self.message_user(
                        request,
                        ngettext(
                            "%d statement marked paid.",
                            "%d statements marked paid.",
                            result.recorded,
                        )
                        % result.recorded,
                        messages.SUCCESS,
                    )
                for refused in result.refused:
                    self.message_user(request, refused, messages.WARNING)
                return None
        sent = [s for s in statements if s.status == StatementStatus.SENT]
        return render(
            request,
            "admin/payouts/statement/record_payouts.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Record a payout"),
                "opts": self.model._meta,
                "form": form,
                "statements": statements,
                "sent_count": len(sent),
                "total": money(sum((s.net_amount for s in sent), Decimal("0.00"))),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    @action(description=_("Download PDFs (ZIP)"), permissions=["export"])
    def download_pdfs_zip(self, request, queryset):
        return self._zip_response(queryset)

    @action(description=_("Export to Excel"), permissions=["export"])
    def export_xlsx(self, request, queryset):
        response = HttpResponse(statements_xlsx(queryset=queryset), content_type=XLSX)
        return attachment(response, "statements.xlsx")

    # --- detail actions ---------------------------------------------------------------------

    def _document(self, request, object_id) -> Statement:
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = statements_for_documents(self.get_queryset(request))
        return get_object_or_404(queryset, pk=object_id)

    @action(
        description=_("View PDF"),
        url_path="view-pdf",
        permissions=["view"],
        icon="picture_as_pdf",
        attrs={"target": "_blank"},
    )
    def view_pdf(self, request, object_id):
        statement = self._document(request, object_id)
        response = HttpResponse(statement_pdf(statement=statement), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{statement_pdf_filename(statement)}"'
        # The PDF opens in the browser's viewer, inside no frame of another site.
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @action(
        description=_("Download PDF"),
        url_path="download-pdf",
        permissions=["view"],
        icon="download",
    )
    def download_pdf(self, request, object_id):
        statement = self._document(request, object_id)
        response = HttpResponse(statement_pdf(statement=statement), content_type="application/pdf")
        return attachment(response, statement_pdf_filename(statement))

    @action(
        description=_("Preview email"), url_path="preview-email", permissions=["view"], icon="mail"
    )
    def preview_email(self, request, object_id):
        return StatementEmailPreviewView.as_view(model_admin=self)(request, object_id=object_id)

    def _object_or_message(self, request, object_id) -> Statement | None:
        statement = self.get_object(request, str(object_id))
        if statement is None:
            self.message_user(request, _("No such statement."), messages.ERROR)
        return statement

    @action(
        description=_("Send by email"),
        url_path="send",
        permissions=["send"],
        icon="send",
        dialog={
            "title": _("Email this statement to the therapist?"),
            "description": _(
                "The PDF goes attached to the therapist's email address. A draft becomes sent: "
                "later runs no longer change it."
            ),
            "form_submit_text": _("Send"),
        },
    )
    def send_one(self, request, form, object_id):
        statement = self._object_or_message(request, object_id)
        if statement is not None:
            try:
                statement_send(statement=statement, by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Statement %(statement)s queued for email to %(email)s.")
                    % {"statement": statement, "email": statement.therapist.email},
                    messages.SUCCESS,
                )
        return self.back_after_dialog(request)

    @action(
        description=_("Regenerate"),
        url_path="regenerate",
        permissions=["regenerate"],
        icon="refresh",
        dialog={
            "title": _("Regenerate this draft?"),
            "description": _(
                "Its lines and totals are rebuilt from today's payments and rates. A draft "
                "left without sessions is removed."
            ),
            "form_submit_text": _("Regenerate"),
        },
    )
    def regenerate_one(self, request, form, object_id):
        statement = self._object_or_message(request, object_id)
        if statement is None:
            return self.back_after_dialog(request)
        run = self.run_service(
            request,
            statement_regenerate,
            done=_run_summary,
            warnings=lambda run: run.problems,
            statement=statement,
            by=request.user,
        )
        if run is not None and run.removed:  # its page is gone: back to the month's list
            changelist = reverse("admin:payouts_statement_changelist")
            return self.back_after_dialog(
                request, to=f"{changelist}?month={_month_param(run.month)}"
            )
        return self.back_after_dialog(request)

    @action(
        description=_("Record payout"),
        url_path="record-payout",
        permissions=["payout"],
        icon="paid",
        dialog=PAYOUT_DIALOG,
    )
    def record_payout(self, request, form, object_id):
        statement = self._object_or_message(request, object_id)
        if statement is None:
            return self.back_after_dialog(request)
        try:
            statement_payout_record(
                statement=statement,
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"],
                by=request.user,
            )
        except ValidationError as error:
            by_field = getattr(error, "error_dict", None) or {}
            if not by_field or not set(by_field) <= set(form.fields):
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return self.back_after_dialog(request)
            for name, errors in error.message_dict.items():
                form.add_error(name, errors)
            return render(  # the dialog again, with the service's reasons by its fields
                request,
                "unfold/helpers/dialog.html",
                {
                    "dialog": PAYOUT_DIALOG,
                    "form": form,
                    "form_submit_text": PAYOUT_DIALOG["form_submit_text"],
                },
            )
        self.message_user(
            request,
            _("Statement %(statement)s marked paid.") % {"statement": statement},
            messages.SUCCESS,
        )
        return self.back_after_dialog(request)
