"""The message template form: placeholders checked on save (messaging.services.templates)."""

from django import forms

from backoffice.messaging.models import MessageTemplate
from backoffice.messaging.services.templates import message_template_validate


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["purpose", "language", "subject", "body_text"]

    def clean(self):
        cleaned = super().clean()
        purpose = cleaned.get("purpose")
        if purpose:
            message_template_validate(
                purpose=purpose,
                subject=cleaned.get("subject") or "",
                body_text=cleaned.get("body_text") or "",
            )
        return cleaned
