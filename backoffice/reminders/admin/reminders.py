"""An appointment's reminders, read only, for its admin page: to whom, how, when, and why one
did not go. A table in a read-only field rather than an inline: nothing here is a form."""

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from backoffice.reminders.selectors import reminders_of_appointment


def appointment_reminders_table(*, appointment_id: int | None) -> SafeString | str:
    """The reminders of one appointment as a table (one query), or a dash when it has none."""
    reminders = reminders_of_appointment(appointment_id=appointment_id) if appointment_id else []
    if not reminders:
        return "—"
    headers = (
        gettext("client"),
        gettext("channel"),
        gettext("hours before the session"),
        gettext("to send at"),
        gettext("status"),
        gettext("why not sent"),
    )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                reminder.client.full_name,
                reminder.get_channel_display(),
                reminder.hours_before,
                f"{timezone.localtime(reminder.send_at):%Y-%m-%d %H:%M}",
                reminder.get_status_display(),
                # Stored in English (services.SkipReason), read in the staff member's language.
                gettext(reminder.skip_reason) if reminder.skip_reason else "",
            )
            for reminder in reminders
        ),
    )
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    return format_html('<table class="reminders"><tr>{}</tr>{}</table>', head, rows)
