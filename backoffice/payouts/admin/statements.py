"""The statement list and page: columns, filters, the lines inline, and every action (each
through a payouts service)."""

from __future__ import annotations

from datetime import date

from django.contrib import admin, messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    DropdownFilter,
)
from unfold.decorators import action, display

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin, CaseloadTabularInline
from backoffice.documents.admin import DocumentAdminMixin
from backoffice.documents.formatting import month as month_label
from backoffice.messaging.services.documents import sending_refusal
from backoffice.payouts.admin.forms import PAYOUT_DIALOG
from backoffice.payouts.admin.views import (
    RecordPayoutsView,
    RunStatementsView,
    StatementEmailPreviewView,
    month_param,
    run_summary,
)
from backoffice.payouts.models import Statement, StatementLine, StatementStatus
from backoffice.payouts.selectors import statements_for_documents
from backoffice.payouts.services import statement_payout_record, statement_regenerate
from backoffice.payouts.services.exports import statements_xlsx, statements_zip_stream
from backoffice.payouts.services.pdf import client_label, statement_pdf, statement_pdf_filename
from backoffice.payouts.services.sending import statement_send, statements_send_later

STATUS_COLOURS = {
    StatementStatus.DRAFT.label: "info",
    StatementStatus.SENT.label: "warning",
    StatementStatus.PAID.label: "success",
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
        return [(month_param(first_day), month_label(first_day)) for first_day in months]

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
class StatementAdmin(DocumentAdminMixin, CaseloadAdmin):
    documents_name = "statements"
    export_permission = "payouts.export_statement"
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
        ("therapist", AutocompleteFilter),
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
    actions = ["send_selected", "record_payouts_selected", *DocumentAdminMixin.document_actions]
    actions_list = ["run_month", *DocumentAdminMixin.document_actions_list]
    actions_detail = [
        *DocumentAdminMixin.document_actions_detail,
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

    # --- columns ----------------------------------------------------------------------------

    @display(description=_("therapist"), ordering="therapist__last_name")
    def therapist_name(self, statement):
        return str(statement.therapist)

    @display(description=_("month"), ordering="period_start")
    def month(self, statement):
        return month_label(statement.period_start)

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, statement):
        return statement.get_status_display()

    # --- list actions -----------------------------------------------------------------------

    @action(
        description=_("Run statements for a month"),
        url_path="run",
        permissions=["run"],
        icon="request_quote",
    )
    def run_month(self, request):
        return RunStatementsView.as_view(model_admin=self)(request)

    # --- bulk actions on selected rows ------------------------------------------------------

    @action(description=_("Send by email"), permissions=["send"])
    def send_selected(self, request, queryset):
        self.send_later(
            request,
            statements_send_later,
            queued=lambda count: (
                ngettext("%d statement queued for email.", "%d statements queued for email.", count)
                % count
            ),
            statements=queryset.select_related("therapist"),
        )

    @action(description=_("Record payout"), permissions=["payout"])
    def record_payouts_selected(self, request, queryset):
        """One payout run for the selected statements: a page asks for its date and reference."""
        statements = list(queryset.select_related("therapist").order_by("therapist__last_name"))
        return RecordPayoutsView.as_view(model_admin=self, statements=statements)(request)

    # --- detail actions ---------------------------------------------------------------------

    # the documents (DocumentAdminMixin)

    def document_pdf(self, statement):
        return statement_pdf(statement=statement)

    def document_filename(self, statement):
        return statement_pdf_filename(statement)

    def documents_loaded(self, queryset):
        return statements_for_documents(queryset)

    def documents_zip_stream(self, ids):
        return statements_zip_stream(statement_ids=ids)

    def documents_xlsx(self, queryset):
        return statements_xlsx(queryset=queryset)

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
            self.run_service(
                request,
                statement_send,
                done=_("Statement %(statement)s queued for email to %(email)s.")
                % {"statement": statement, "email": statement.therapist.email},
                statement=statement,
                by=request.user,
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
            done=run_summary,
            warnings=lambda run: run.problems,
            statement=statement,
            by=request.user,
        )
        if run is not None and run.removed:  # its page is gone: back to the month's list
            changelist = reverse("admin:payouts_statement_changelist")
            return self.back_after_dialog(
                request, to=f"{changelist}?month={month_param(run.month)}"
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
        paid = self.run_service(
            request,
            statement_payout_record,
            form=form,
            done=_("Statement %(statement)s marked paid.") % {"statement": statement},
            statement=statement,
            paid_on=form.cleaned_data["paid_on"],
            reference=form.cleaned_data["reference"],
            by=request.user,
        )
        if paid is None and not form.non_field_errors():
            return render(  # the dialog again, with the service's reasons by its fields
                request,
                "unfold/helpers/dialog.html",
                {
                    "dialog": PAYOUT_DIALOG,
                    "form": form,
                    "form_submit_text": PAYOUT_DIALOG["form_submit_text"],
                },
            )
        for refusal in form.non_field_errors():
            self.message_user(request, refusal, messages.ERROR)
        return self.back_after_dialog(request)
