"""The outbox in the admin: every email and SMS, read-only; failed ones can be sent again."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display

from backoffice.admin_base import CaseloadAdmin
from backoffice.messaging.models import OutboxMessage, OutboxStatus, Purpose
from backoffice.messaging.services import outbox_retry

STATUS_COLOURS = {
    OutboxStatus.PENDING.label: "info",
    OutboxStatus.SENDING.label: "info",
    OutboxStatus.SENT.label: "success",
    OutboxStatus.FAILED.label: "danger",
    OutboxStatus.UNCONFIRMED.label: "warning",
}


@admin.register(OutboxMessage)
class OutboxMessageAdmin(CaseloadAdmin):
    """Read-only: messages are written by the services that send invoices, receipts…"""

    list_display = [
        "created_at",
        "channel",
        "purpose",
        "recipient",
        "subject",
        "status_label",
        "attempt_count",
        "sent_at",
        "delivery_status",
    ]
    list_filter = ["status", "delivery_status", "channel", "purpose"]
    search_fields = ["recipient", "subject"]
    actions = ["retry"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    # A sign-in link in an email lets whoever reads it in as its recipient: staff never see it.
    SECRET_FIELDS = {"body_text": "text_shown", "body_html": "html_shown"}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or obj.purpose != Purpose.SIGN_IN:
            return fields
        return [self.SECRET_FIELDS.get(name, name) for name in fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *self.SECRET_FIELDS.values()]

    @display(description=_("text"))
    def text_shown(self, message):
        return _("Hidden: it holds a sign-in link for its recipient.")

    @display(description=_("HTML"))
    def html_shown(self, message):
        return _("Hidden: it holds a sign-in link for its recipient.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_label(self, message):
        return message.get_status_display()

    @action(description=_("Send the failed or unconfirmed messages again"), permissions=["retry"])
    def retry(self, request, queryset):
        self.run_service(
            request,
            outbox_retry,
            done=lambda count: (
                ngettext("%d message queued again.", "%d messages queued again.", count) % count
            ),
            message_ids=list(queryset.values_list("pk", flat=True)),
        )

    def has_retry_permission(self, request):
        return request.user.has_perm("messaging.change_outboxmessage")
