"""Editable message templates: {placeholders} checked on save, rendered with str.format_map.

Each purpose offers a fixed set of placeholders. A template is refused when it names another one,
reaches into a value ({total.__class__}, {x[0]}) or formats it ({total!r}, {total:>9}), so
rendering can only put the offered strings in place. With no template row for a purpose and
language, the built-in text below (translated with gettext) is used.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from string import Formatter

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.documents.formatting import money
from backoffice.fields import Language
from backoffice.messaging.models import TEMPLATE_PURPOSES, MessageTemplate, Purpose
from backoffice.messaging.selectors import message_template_of

logger = logging.getLogger(__name__)

# Purpose -> placeholder -> what it holds (shown to staff beside the form).
PLACEHOLDERS: dict[str, dict[str, str]] = {
    Purpose.INVOICE: {
        "invoice_number": _("the invoice number"),
        "bill_to_name": _("the payer or client billed"),
        "total": _("the invoice total, with the currency"),
        "due_date": _("the due date"),
        "clinic_name": _("the clinic's name"),
    },
    Purpose.RECEIPT: {
        "receipt_number": _("the receipt number"),
        "client_name": _("the client's name"),
        "amount": _("the amount received, with the currency"),
        "received_on": _("the day the payment was received"),
        "clinic_name": _("the clinic's name"),
    },
    Purpose.STATEMENT: {
        "therapist_name": _("the therapist's name"),
        "period": _("the month of the statement"),
        "net_amount": _("the amount paid to the therapist"),
        "gross_amount": _("the sessions paid out, before service fees"),
        "service_fees": _("the service fees kept"),
        "held_count": _("how many sessions are held until paid"),
        "clinic_name": _("the clinic's name"),
    },
    Purpose.REMINDER: {
        "client_name": _("the client's first name"),
        "starts_at": _("the day and time of the appointment"),
        "therapist_name": _("the therapist's name"),
        "location": _("the site and room, or online"),
        "clinic_name": _("the clinic's name"),
        "confirm_link": _("the link that confirms the appointment (no sign-in)"),
        "cancel_link": _("the link that cancels the appointment (no sign-in)"),
    },
    Purpose.NOTIFICATION: {"clinic_name": _("the clinic's name")},
}

# Built-in texts, used while staff have not written a template for a purpose and language.
DEFAULTS: dict[str, tuple] = {
    Purpose.INVOICE: (
        _("Invoice {invoice_number} from {clinic_name}"),
        _(
            "Hello,\n\nPlease find attached invoice {invoice_number} for {bill_to_name}, "
            "for a total of {total}, due on {due_date}.\n\nThank you,\n{clinic_name}"
        ),
    ),
    Purpose.RECEIPT: (
        _("Receipt {receipt_number} from {clinic_name}"),
        _(
            "Hello {client_name},\n\nThank you for your payment of {amount} received on "
            "{received_on}. Your receipt {receipt_number} is attached.\n\n{clinic_name}"
        ),
    ),
    Purpose.STATEMENT: (
        _("Your statement for {period}"),
        _(
            "Hello {therapist_name},\n\nYour statement for {period} is attached. Sessions "
            "paid out: {gross_amount}, less service fees of {service_fees}: {net_amount} "
            "payable to you. Sessions held until paid: {held_count}.\n\n{clinic_name}"
        ),
    ),
    Purpose.REMINDER: (
        _("Reminder: your appointment on {starts_at}"),
        _(
            "Hello {client_name},\n\nThis is a reminder of your appointment with "
            "{therapist_name} on {starts_at} ({location}).\n\nTo confirm that you will "
            "come: {confirm_link}\nTo cancel: {cancel_link}\n\n{clinic_name}"
        ),
    ),
    Purpose.NOTIFICATION: (_("Message from {clinic_name}"), _("{clinic_name}")),
}


def _problems(text: str, allowed: dict[str, str]) -> list[str]:
    try:
        fields = list(Formatter().parse(text))
    except ValueError as error:
        return [
            gettext("Braces do not match (%(error)s). Write {{ and }} for a literal brace.")
            % {"error": error}
        ]
    problems = []
    for _literal, name, format_spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            problems.append(gettext("Unknown placeholder {%(name)s}.") % {"name": name})
        elif format_spec or conversion:
            problems.append(
                gettext("Write {%(name)s} alone, without a format or conversion.") % {"name": name}
            )
    return problems


def message_template_validate(*, purpose: str, subject: str, body_text: str) -> None:
    """Raise ValidationError (per field) when a template uses a placeholder its purpose lacks."""
    allowed = PLACEHOLDERS.get(purpose, {})
    errors = {}
    for field_name, text in (("subject", subject), ("body_text", body_text)):
        problems = _problems(text, allowed)
        if problems:
            offered = ", ".join(f"{{{name}}}" for name in allowed)
            errors[field_name] = [
                *problems,
                gettext("Placeholders offered: %(names)s.") % {"names": offered},
            ]
    if errors:
        raise ValidationError(errors)


def _format(text: str, values: dict[str, str]) -> str:
    return text.format_map(values)


def message_template_render(*, purpose: str, language: str, context: dict) -> tuple[str, str]:
    """The subject and text of a message: the staff's template, else the built-in one.

    Only the purpose's placeholders are filled (missing ones become empty strings); a stored
    template that no longer validates is logged and the built-in text is used instead.
    """
    allowed = PLACEHOLDERS.get(purpose, {})
    values = {name: str(context.get(name, "")) for name in allowed}
    template = message_template_of(purpose=purpose, language=language)
    if template is not None:
        try:
            message_template_validate(
                purpose=purpose, subject=template.subject, body_text=template.body_text
            )
        except ValidationError:
            logger.warning("message template %s does not validate; built-in text used", template.pk)
        else:
            subject = _format(template.subject, values)
            return " ".join(subject.split()), _format(template.body_text, values)
    subject, body = message_template_builtin(purpose=purpose, language=language)
    return " ".join(_format(subject, values).split()), _format(body, values)


def message_template_builtin(*, purpose: str, language: str) -> tuple[str, str]:
    """The built-in subject and text of a purpose in a language (before any placeholder is
    filled): what is sent while staff have not saved their own."""
    subject, body = DEFAULTS[purpose]
    with translation.override(language):
        return str(subject), str(body)


def message_templates_builtin_in_use() -> list[dict]:
    """Each purpose and language with no saved template: its built-in subject and text."""
    saved = set(MessageTemplate.objects.values_list("purpose", "language"))
    return [
        {
            "purpose": purpose,
            "language": language,
            "title": f"{purpose.label} · {language.label}",
            "subject": subject,
            "body_text": body,
        }
        for purpose in TEMPLATE_PURPOSES
        for language in Language
        if (purpose.value, language.value) not in saved
        for subject, body in [message_template_builtin(purpose=purpose, language=language)]
    ]


SAMPLE_VALUES: dict[str, str | Decimal] = {
    "invoice_number": "INV-2026-00042",
    "bill_to_name": "Pacific Mutual",
    "total": Decimal("450.00"),
    "due_date": "2026-05-01",
    "clinic_name": "Caseload Counselling",
    "receipt_number": "RCP-2026-00007",
    "client_name": "Hélène",
    "amount": Decimal("160.00"),
    "received_on": "2026-04-10",
    "therapist_name": "Jordan Lee",
    "period": "March 2026",
    "net_amount": Decimal("3360.00"),
    "gross_amount": Decimal("4800.00"),
    "service_fees": Decimal("1440.00"),
    "held_count": "3",
    "starts_at": "2026-03-09 10:00",
    "location": "Downtown, room 2",
    "confirm_link": "https://caseload.example/reminders/…/confirm/",
    "cancel_link": "https://caseload.example/reminders/…/cancel/",
}


def message_template_preview(*, template: MessageTemplate) -> tuple[str, str]:
    """The template filled with sample values, for staff to read before it goes out."""
    allowed = PLACEHOLDERS.get(template.purpose, {})
    with translation.override(template.language):
        values = {name: _sample(SAMPLE_VALUES.get(name, name)) for name in allowed}
    return _format(template.subject, values), _format(template.body_text, values)


def _sample(value: str | Decimal) -> str:
    return money(value) if isinstance(value, Decimal) else value
