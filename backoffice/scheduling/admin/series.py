"""Recurring series: booked from the appointment list (Book a series), read here."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin, ReadOnlyInline
from backoffice.scheduling.models import Appointment, AppointmentSeries


class SeriesAppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ["starts_at", "ends_at", "room", "status", "fee_amount"]
    ordering = ["starts_at"]
    tab = False
    select_related = ("room__site",)


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(CaseloadAdmin):
    """Series are booked from the appointment list (Book a series); here they are read."""

    list_display = ["__str__", "therapist", "billing_client", "frequency", "first_occurrence"]
    list_select_related = ["therapist", "billing_client"]
    list_filter = [
        ("therapist", AutocompleteFilter),
        ("billing_client", AutocompleteFilter),
        "frequency",
    ]
    search_fields = ["billing_client__last_name", "therapist__last_name"]
    readonly_fields = [
        "therapist",
        "billing_client",
        "frequency",
        "first_starts_at",
        "occurrence_count",
        "repeat_until",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [SeriesAppointmentInline]

    def has_add_permission(self, request):
        return False

    @display(description=_("first occurrence"), ordering="first_starts_at")
    def first_occurrence(self, series):
        return f"{timezone.localtime(series.first_starts_at):%Y-%m-%d %H:%M}"
