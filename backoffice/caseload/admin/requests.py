"""Therapists' requests to activate or deactivate a client: pending ones first, approved or
declined by staff with an optional note; the request itself is read-only."""

from django.contrib import admin
from django.db.models import Case, Value, When
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from backoffice.admin_base import CaseloadAdmin
from backoffice.caseload.admin.views import DECIDE_PERMISSIONS, ClientStatusRequestDecideView
from backoffice.caseload.models import ClientStatusRequest, ClientStatusRequestState

PENDING_FIRST = Case(
    When(state=ClientStatusRequestState.PENDING, then=Value(0)), default=Value(1)
).asc()
STATE_COLOURS = {
    ClientStatusRequestState.PENDING.label: "warning",
    ClientStatusRequestState.APPROVED.label: "success",
    ClientStatusRequestState.DECLINED.label: "danger",
}


@admin.register(ClientStatusRequest)
class ClientStatusRequestAdmin(CaseloadAdmin):
    list_display = [
        "client",
        "therapist",
        "action",
        "why",
        "requested_at",
        "decision",
        "decided_by",
        "decided_at",
    ]
    list_select_related = ["client", "therapist", "decided_by"]
    list_filter = ["state", "action"]
    ordering = [PENDING_FIRST, "-requested_at"]
    search_fields = ["client__last_name", "client__first_name"]
    search_help_text = _("Search by client name.")
    fields = [
        "client",
        "therapist",
        "action",
        "reason",
        "requested_at",
        "state",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields
    actions_row = ["approve", "decline"]
    actions_detail = ["approve", "decline"]

    # Therapists ask from the portal; staff decide through the actions, which keep the rest.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # A method, not dotted strings in @action: unfold's check would query Permission at startup.
    def has_decide_permission(self, request, obj=None):
        return request.user.has_perms(DECIDE_PERMISSIONS)

    @display(description=_("reason"))
    def why(self, client_request):
        return Truncator(client_request.reason).chars(80)

    @display(description=_("state"), ordering="state", label=STATE_COLOURS)
    def decision(self, client_request):
        return client_request.get_state_display()

    @action(description=_("Approve"), icon="check_circle", permissions=["decide"])
    def approve(self, request, object_id):
        view = ClientStatusRequestDecideView.as_view(model_admin=self, approve=True)
        return view(request, object_id=object_id)

    @action(description=_("Decline"), icon="cancel", permissions=["decide"])
    def decline(self, request, object_id):
        view = ClientStatusRequestDecideView.as_view(model_admin=self, approve=False)
        return view(request, object_id=object_id)
