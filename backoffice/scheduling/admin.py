from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
)
from unfold.decorators import display

from backoffice.admin_base import CaseloadAdmin, CaseloadTabularInline, LocalDateRangeFilter
from backoffice.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Room,
    RoomReservation,
    Site,
)
from backoffice.scheduling.selectors import appointments_for_client_name
from backoffice.scheduling.services import appointment_participants_ensure

STATUS_COLOURS = {
    AppointmentStatus.SCHEDULED.label: "info",
    AppointmentStatus.COMPLETED.label: "success",
    AppointmentStatus.CANCELLED.label: "warning",
    AppointmentStatus.LATE_CANCELLED.label: "warning",
    AppointmentStatus.NO_SHOW.label: "danger",
}


class RoomInline(CaseloadTabularInline):
    model = Room


@admin.register(Site)
class SiteAdmin(CaseloadAdmin):
    list_display = ["name", "phone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "address"]
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(CaseloadAdmin):
    list_display = ["name", "site", "capacity", "is_active"]
    list_select_related = ["site"]
    list_filter = ["site", "is_active"]
    search_fields = ["name", "site__name"]


@admin.register(RoomReservation)
class RoomReservationAdmin(CaseloadAdmin):
    list_display = [
        "room",
        "therapist",
        "weekday",
        "start_time",
        "end_time",
        "valid_from",
        "valid_until",
    ]
    list_select_related = ["room__site", "therapist"]
    list_filter = [("therapist", AutocompleteSelectFilter), "room__site", "weekday"]
    search_fields = ["therapist__last_name", "therapist__first_name", "room__name"]
    autocomplete_fields = ["room", "therapist"]


@admin.register(Appointment)
class AppointmentAdmin(CaseloadAdmin):
    list_display = [
        "start",
        "therapist",
        "billing_client",
        "service_type",
        "place",
        "status_label",
        "fee_amount",
    ]
    list_select_related = ["therapist", "billing_client", "service_type", "room__site"]
    list_filter = [
        ("starts_at", LocalDateRangeFilter),
        ("therapist", AutocompleteSelectFilter),
        ("billing_client", AutocompleteSelectFilter),
        ("status", ChoicesDropdownFilter),
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
    fieldsets = [
        (None, {"fields": ["therapist", "billing_client", "clients", "service_type"]}),
        (_("When and where"), {"fields": ["starts_at", "ends_at", "attendance", "room"]}),
        (_("Status and billing"), {"fields": ["status", "fee_amount", "authorization", "notes"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # Unsorted by the user: the default order, newest first.
        newest_first = ORDER_VAR not in request.GET
        appointments = appointments_for_client_name(
            appointments=queryset, term=search_term, newest_first=newest_first
        )
        return appointments, False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        appointment_participants_ensure(appointment=form.instance)

    @display(description=_("start"), ordering="starts_at")
    def start(self, appointment):
        return f"{timezone.localtime(appointment.starts_at):%Y-%m-%d %H:%M}"

    @display(description=_("place"))
    def place(self, appointment):
        return str(appointment.room) if appointment.room_id else _("Online")

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, appointment):
        return appointment.get_status_display()
