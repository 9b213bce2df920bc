"""SMS received at the clinic's number, read-only: who, what, when and what was done."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display

from backoffice.admin_base import CaseloadAdmin, ReadOnlyAdminMixin
from backoffice.messaging.models import InboundSms, SmsReplyOutcome
from backoffice.messaging.services.receipts import sms_received_answered

OUTCOME_COLOURS = {
    SmsReplyOutcome.RECEIVED.label: "info",
    SmsReplyOutcome.CONFIRMED.label: "success",
    SmsReplyOutcome.CANCELLED.label: "warning",
    SmsReplyOutcome.LATE_CANCELLED.label: "warning",
    SmsReplyOutcome.FOR_STAFF.label: "danger",
    SmsReplyOutcome.ANSWERED.label: "success",
    SmsReplyOutcome.SMS_STOPPED.label: "warning",
}


@admin.register(InboundSms)
class InboundSmsAdmin(ReadOnlyAdminMixin, CaseloadAdmin):
    """Written by the Vonage webhook and the reply handling (reminders.replies)."""

    list_display = ["received_at", "sender", "text", "outcome_label", "outcome_note"]
    list_filter = ["outcome"]
    actions = ["mark_answered"]
    search_fields = ["sender"]
    fields = [
        "received_at",
        "sender",
        "text",
        "outcome",
        "outcome_note",
        "in_reply_to",
        "answer",
        "provider_message_id",
    ]
    readonly_fields = fields

    @display(description=_("what was done"), ordering="outcome", label=OUTCOME_COLOURS)
    def outcome_label(self, inbound):
        return inbound.get_outcome_display()

    @action(description=_("Mark answered by staff"), permissions=["answer"])
    def mark_answered(self, request, queryset):
        self.run_service(
            request,
            sms_received_answered,
            done=lambda count: (
                ngettext("%d SMS marked answered.", "%d SMS marked answered.", count) % count
            ),
            inbound_ids=list(queryset.values_list("pk", flat=True)),
        )

    def has_answer_permission(self, request):
        return request.user.has_perm("messaging.change_inboundsms")
