"""Sites and their rooms, and the therapists' weekly room reservations."""

from django.contrib import admin

from backoffice.admin_base import AutocompleteFilter, CaseloadAdmin, CaseloadTabularInline
from backoffice.scheduling.models import Room, RoomReservation, Site


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
    list_filter = [("therapist", AutocompleteFilter), "room__site", "weekday"]
    search_fields = ["therapist__last_name", "therapist__first_name", "room__name"]
    autocomplete_fields = ["room", "therapist"]
