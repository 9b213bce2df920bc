"""The Bad Fit list in the admin: open entries first, staff notes, removal with a reason."""

from django.contrib import admin
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminTextareaWidget

from backoffice.admin_base import CaseloadAdmin, DefaultChoiceFilter
from backoffice.scheduling.admin.views import BadFitRemoveView
from backoffice.scheduling.models import Appointment, BadFitEntry

OPEN, REMOVED, EVERY = "open", "removed", "all"


class BadFitStateFilter(DefaultChoiceFilter):
    """On the list (the default), removed, or every entry."""

    title = _("state")
    parameter_name = "state"
    default = OPEN

    def lookups(self, request, model_admin):
        return [(OPEN, _("On the list")), (REMOVED, _("Removed")), (EVERY, _("All"))]

    def queryset(self, request, queryset):
        if self.value() == OPEN:
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == REMOVED:
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(BadFitEntry)
class BadFitEntryAdmin(CaseloadAdmin):
    list_display = [
        "client",
        "therapist",
        "reason",
        "added",
        "triggered_by",
        "notes",
        "state",
    ]
    list_editable = ["notes"]
    list_select_related = ["client", "therapist", "resolved_by"]
    list_filter = [BadFitStateFilter, "reason"]
    search_fields = ["client__last_name", "client__first_name"]
    search_help_text = _("Search by client name.")
    fields = [
        "client",
        "therapist",
        "reason",
        "opened_at",
        "triggered_by",
        "notes",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    ]
    readonly_fields = [
        "client",
        "therapist",
        "reason",
        "opened_at",
        "triggered_by",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    ]
    formfield_overrides = {
        models.TextField: {"widget": UnfoldAdminTextareaWidget(attrs={"rows": 2})},
    }
    actions_row = ["remove_from_list"]
    actions_detail = ["remove_from_list"]

    def get_queryset(self, request):
        # One query for the triggering sessions of the whole page.
        triggers = Appointment.objects.only("id", "starts_at").order_by("starts_at")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("appointments", queryset=triggers))
        )

    def has_add_permission(self, request):
        return False  # the attendance rules add clients, never staff

    def has_delete_permission(self, request, obj=None):
        return False  # removal closes the entry and keeps it

    @display(description=_("added"), ordering="opened_at")
    def added(self, entry):
        return f"{timezone.localtime(entry.opened_at):%Y-%m-%d}"

    @display(description=_("triggering sessions"))
    def triggered_by(self, entry):
        return ", ".join(
            f"{timezone.localtime(a.starts_at):%Y-%m-%d}" for a in entry.appointments.all()
        )

    @display(
        description=_("state"),
        label={_("On the list"): "danger", _("Removed"): "success"},
    )
    def state(self, entry):
        return _("Removed") if entry.resolved_at else _("On the list")

    @action(description=_("Remove from list"), icon="playlist_remove", permissions=["change"])
    def remove_from_list(self, request, object_id):
        return BadFitRemoveView.as_view(model_admin=self)(request, object_id=object_id)
