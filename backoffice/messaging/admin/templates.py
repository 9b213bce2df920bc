"""The editable emails in the admin: the built-in texts in use, placeholders, a preview."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import CaseloadAdmin
from backoffice.fields import Language
from backoffice.messaging.admin.forms import MessageTemplateForm
from backoffice.messaging.models import MessageTemplate, Purpose
from backoffice.messaging.services.templates import (
    PLACEHOLDERS,
    message_template_builtin,
    message_template_preview,
    message_templates_builtin_in_use,
)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(CaseloadAdmin):
    """The editable emails: placeholders checked on save, a preview with sample values."""

    form = MessageTemplateForm
    list_display = ["purpose", "language", "subject", "updated_at"]
    list_filter = ["purpose", "language"]
    list_before_template = "admin/messaging/messagetemplate/builtin_templates.html"
    readonly_fields = ["placeholders", "preview"]
    fields = ["purpose", "language", "subject", "body_text", "placeholders", "preview"]

    def changelist_view(self, request, extra_context=None):
        """Above the saved templates: the built-in texts still in use, each a link to a new
        template that starts from it."""
        builtin = message_templates_builtin_in_use()
        if self.has_add_permission(request):
            add = reverse("admin:messaging_messagetemplate_add")
            for text in builtin:
                text["edit_url"] = f"{add}?purpose={text['purpose']}&language={text['language']}"
        extra_context = {**(extra_context or {}), "builtin_templates": builtin}
        return super().changelist_view(request, extra_context)

    def get_changeform_initial_data(self, request):
        """A new template for a purpose and language starts from their built-in text."""
        initial = super().get_changeform_initial_data(request)
        purpose, language = initial.get("purpose"), initial.get("language")
        if purpose in Purpose.values and language in Language.values:
            subject, body_text = message_template_builtin(purpose=purpose, language=language)
            initial.setdefault("subject", subject)
            initial.setdefault("body_text", body_text)
        return initial

    @display(description=_("placeholders"))
    def placeholders(self, template):
        offered = PLACEHOLDERS.get(template.purpose) if template.pk else None
        if not offered:
            return _("Save the purpose first; its placeholders are then listed here.")
        return format_html_join("", "<div><code>{{{}}}</code> — {}</div>", offered.items())

    @display(description=_("preview"))
    def preview(self, template):
        if not template.pk:
            return "—"
        subject, body = message_template_preview(template=template)
        return format_html(
            "<div><strong>{}</strong></div><pre style='white-space: pre-wrap'>{}</pre>",
            subject,
            body,
        )
