"""Appointments: the day's list, booking and changes through the services, attendance
actions."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    DropdownFilter,
)
from unfold.decorators import action, display

from backoffice.admin_base import (
    AutocompleteFilter,
    CaseloadAdmin,
    DefaultChoiceFilter,
    LocalDateRangeFilter,
    TakePaymentActionMixin,
)
from backoffice.caseload.models import Payer
from backoffice.reminders.admin.reminders import appointment_reminders_table
from backoffice.scheduling.admin.forms import AppointmentAdminForm, MissedSessionFeeDialogForm
from backoffice.scheduling.admin.views import AppointmentSeriesBookView
from backoffice.scheduling.models import Appointment, AppointmentStatus
from backoffice.scheduling.selectors import appointments_for_client_name, appointments_of_payer
from backoffice.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_no_show,
    appointment_participants_ensure,
    appointment_save_changes,
    appointment_series_cancel_rest,
)
from backoffice.zone_data import local_midnight

STATUS_COLOURS = {
    AppointmentStatus.SCHEDULED.label: "info",
    AppointmentStatus.COMPLETED.label: "success",
    AppointmentStatus.CANCELLED.label: "warning",
    AppointmentStatus.LATE_CANCELLED.label: "warning",
    AppointmentStatus.NO_SHOW.label: "danger",
}


class PayerFilter(DropdownFilter):
    """Sessions a payer's authorizations cover (see appointments_of_payer for the plan)."""

    title = _("payer")
    parameter_name = "payer"

    def lookups(self, request, model_admin):
        return list(Payer.objects.order_by("name").values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return appointments_of_payer(appointments=queryset, payer_id=int(value))


class WhenFilter(DefaultChoiceFilter):
    """Today's appointments by time (the list opens on them), upcoming ones from now on,
    past ones newest first, or all. A search or another filter looks at all of them."""

    title = _("when")
    parameter_name = "when"
    TODAY, UPCOMING, PAST, EVERY = "today", "upcoming", "past", "all"
    # Parameters that only page or sort the list: they keep it on today.
    NOT_FILTERS = {"when", "p", ORDER_VAR, "e", "_popup", "_to_field", "_changelist_filters"}

    def __init__(self, request, params, model, model_admin):
        filtered = set(request.GET) - self.NOT_FILTERS
        # An action on rows picked by id finds them whatever day they are on.
        picked = "_selected_action" in request.POST and request.POST.get("select_across") != "1"
        self.default = self.EVERY if filtered or picked else self.TODAY
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            (self.TODAY, _("Today")),
            (self.UPCOMING, _("Upcoming")),
            (self.PAST, _("Past")),
            (self.EVERY, _("All")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == self.TODAY:
            today = timezone.localdate()
            return queryset.filter(
                starts_at__gte=local_midnight(today),
                starts_at__lt=local_midnight(today + timedelta(days=1)),
            )
        if self.value() == self.UPCOMING:
            return queryset.filter(starts_at__gte=now)
        if self.value() == self.PAST:
            return queryset.filter(starts_at__lt=now)
        return queryset

    def soonest_first(self) -> bool:
        return self.value() in (self.TODAY, self.UPCOMING)


def appointments_of_client_url(*, client_id: int) -> str:
    """The appointment list filtered on one billing client (linked from client pages)."""
    changelist = reverse("admin:scheduling_appointment_changelist")
    return f"{changelist}?billing_client__id__exact={client_id}"


DIALOG_CONFIRM = {"form_submit_text": _("Confirm")}


@admin.register(Appointment)
class AppointmentAdmin(TakePaymentActionMixin, CaseloadAdmin):
    form = AppointmentAdminForm
    take_payment_by = "appointment"
    list_display = [
        "start",
        "therapist",
        "client",
        "service_type",
        "place",
        "status_label",
        "confirmation",
        "fee_amount",
    ]
    list_select_related = ["therapist", "billing_client", "service_type", "room__site"]
    list_filter = [
        WhenFilter,
        ("starts_at", LocalDateRangeFilter),
        ("therapist", AutocompleteFilter),
        ("billing_client", AutocompleteFilter),
        ("status", ChoicesDropdownFilter),
        PayerFilter,
        "room__site",
        "attendance",
    ]
    search_fields = ["billing_client__last_name"]
    search_help_text = _("Search by client name.")
    autocomplete_fields = [
        "therapist",
        "billing_client",
        "clients",
        "service_type",
        "room",
        "authorization",
    ]
    # Attendance changes only through the actions below (scheduling.services.TRANSITIONS).
    readonly_fields = [
        "status",
        "confirmation",
        "cancelled_at",
        "missed_session_fee_amount",
        "series",
        "reminders",
    ]
    fieldsets = [
        (None, {"fields": ["therapist", "billing_client", "clients", "service_type"]}),
        (_("When and where"), {"fields": ["starts_at", "ends_at", "attendance", "room"]}),
        (
            _("Status and billing"),
            {
                "fields": [
                    "status",
                    "confirmation",
                    "fee_amount",
                    "authorization",
                    "cancelled_at",
                    "missed_session_fee_amount",
                    "series",
                    "notes",
                ]
            },
        ),
        (_("Reminders"), {"fields": ["reminders"]}),
    ]
    actions = [
        "complete_selected",
        "cancel_selected",
        "no_show_selected",
        "cancel_rest_selected",
    ]
    actions_row = ["complete_one", "cancel_one", "no_show_one", "cancel_rest_one", "take_payment"]
    actions_detail = ["complete_one", "cancel_one", "no_show_one", "cancel_rest_one"]
    actions_list = ["book_series"]

    def get_ordering(self, request):
        """Today's and upcoming appointments soonest first; past and all, newest first."""
        when = WhenFilter(request, dict(request.GET.lists()), self.model, self)
        return ["starts_at"] if when.soonest_first() else ["-starts_at"]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # Unsorted by the user: the default order, newest first.
        newest_first = ORDER_VAR not in request.GET
        appointments = appointments_for_client_name(
            appointments=queryset, term=search_term, newest_first=newest_first
        )
        return appointments, False

    # --- add and change go through the services ----------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The form checked the slot; only a booking committed in between lands here.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:
            result = appointment_save_changes(appointment=obj, by=request.user)
        else:
            result = appointment_book(**form.booking(), by=request.user)
            # The admin goes on with `obj` (related objects, log entry, redirect).
            obj.pk = result.appointment.pk
            obj.refresh_from_db()
        for warning in result.warnings:
            self.message_user(request, warning, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        appointment_participants_ensure(appointment=form.instance)

    # --- attendance actions ------------------------------------------------------------

    def _run_on_each(self, request: HttpRequest, appointments, service, done_message: str):
        """A list action: the service on each picked appointment, each refusal reported."""
        self.run_service_on_each(
            request,
            service,
            appointments,
            name="appointment",
            by=request.user,
            done=lambda count: done_message % {"count": count},
        )

    @action(description=_("Mark completed"), permissions=["change"])
    def complete_selected(self, request, queryset):
        self._run_on_each(
            request, queryset, appointment_complete, _("%(count)d appointment(s) completed.")
        )

    @action(description=_("Cancel (late if within the window)"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        self._run_on_each(
            request, queryset, appointment_cancel, _("%(count)d appointment(s) cancelled.")
        )

    @action(description=_("Mark no-show"), permissions=["change"])
    def no_show_selected(self, request, queryset):
        self._run_on_each(
            request, queryset, appointment_no_show, _("%(count)d appointment(s) marked no-show.")
        )

    @action(description=_("Cancel the rest of their series"), permissions=["change"])
    def cancel_rest_selected(self, request, queryset):
        self._run_on_each(
            request,
            queryset,
            appointment_series_cancel_rest,
            _("The rest of %(count)d series cancelled."),
        )

    def _run_on_one(
        self, request: HttpRequest, object_id: str, service, done: str, **arguments
    ) -> HttpResponse:
        """A row or detail dialog: the service on that appointment, then back to the page."""
        appointment = self.get_object(request, object_id)
        if appointment is None:
            self.message_user(request, _("No such appointment."), messages.ERROR)
        else:
            self.run_service(
                request, service, done=done, appointment=appointment, by=request.user, **arguments
            )
        return self.back_after_dialog(request)

    def _record_missed(self, request, form, object_id, service, done: str) -> HttpResponse:
        """A cancellation or no-show dialog: its optional fee goes to the service."""
        fee = form.cleaned_data.get("missed_session_fee_amount")
        return self._run_on_one(request, object_id, service, done, missed_session_fee_amount=fee)

    @action(
        description=_("Complete"),
        permissions=["change"],
        icon="task_alt",
        dialog={
            **DIALOG_CONFIRM,
            "title": _("Mark this session completed?"),
            "description": _("It took place; it becomes billable."),
        },
    )
    def complete_one(self, request, form, object_id):
        return self._run_on_one(
            request, object_id, appointment_complete, _("Appointment completed.")
        )

    @action(
        description=_("Cancel"),
        permissions=["change"],
        icon="event_busy",
        dialog={
            "form_submit_text": _("Cancel the appointment"),
            "title": _("Cancel this appointment?"),
            "description": _(
                "Cancelled now: late if less than the cancellation window before it starts."
            ),
            "form_class": MissedSessionFeeDialogForm,
        },
    )
    def cancel_one(self, request, form, object_id):
        return self._record_missed(
            request, form, object_id, appointment_cancel, _("Appointment cancelled.")
        )

    @action(
        description=_("No-show"),
        permissions=["change"],
        icon="person_off",
        dialog={
            "form_submit_text": _("Record the no-show"),
            "title": _("The client did not come?"),
            "description": _("Recorded as a no-show; the Bad Fit rules apply."),
            "form_class": MissedSessionFeeDialogForm,
        },
    )
    def no_show_one(self, request, form, object_id):
        return self._record_missed(
            request, form, object_id, appointment_no_show, _("No-show recorded.")
        )

    @action(
        description=_("Cancel rest of series"),
        permissions=["change"],
        icon="event_repeat",
        dialog={
            **DIALOG_CONFIRM,
            "title": _("Cancel this and every later occurrence?"),
            "description": _("Every scheduled occurrence from this one on is cancelled."),
        },
    )
    def cancel_rest_one(self, request, form, object_id):
        return self._run_on_one(
            request, object_id, appointment_series_cancel_rest, _("Rest of the series cancelled.")
        )

    @action(
        description=_("Book a series"),
        url_path="book-series",
        permissions=["add"],
        icon="event_repeat",
    )
    def book_series(self, request):
        return AppointmentSeriesBookView.as_view(model_admin=self)(request)

    # --- columns -----------------------------------------------------------------------

    @display(description=_("start"), ordering="starts_at")
    def start(self, appointment):
        return f"{timezone.localtime(appointment.starts_at):%Y-%m-%d %H:%M}"

    @display(description=_("billing client"), ordering="billing_client")
    def client(self, appointment):
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            appointments_of_client_url(client_id=appointment.billing_client_id),
            _("All appointments of this client"),
            appointment.billing_client,
        )

    @display(description=_("place"))
    def place(self, appointment):
        return str(appointment.room) if appointment.room_id else _("Online")

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, appointment):
        return appointment.get_status_display()

    @display(description=_("reminders"))
    def reminders(self, appointment):
        return appointment_reminders_table(appointment_id=appointment.pk)

    @display(description=_("confirmed by the client"))
    def confirmation(self, appointment):
        if appointment.confirmed_at is None:
            return "—"
        return f"{timezone.localtime(appointment.confirmed_at):%Y-%m-%d %H:%M} · " + str(
            appointment.get_confirmed_via_display()
        )
