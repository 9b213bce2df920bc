"""The email reminder's links: a client confirms or cancels their session without signing in
(docs/rules.md, Reminders). GET shows the session and one button; only the POST acts, since
mail scanners open links. Each page is in the client's language, outside the portal's chrome."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from backoffice.reminders.services import ReminderLinkError, reminder_link_use, reminder_of_link

TEMPLATE = "portal/reminder_link.html"


@method_decorator(never_cache, name="dispatch")
class ReminderLinkView(View):
    action = "confirm"  # or "cancel"

    def get(self, request, token):
        try:
            reminder = reminder_of_link(token=token)
        except ReminderLinkError as error:
            return self.problem(request, error)
        with translation.override(reminder.client.preferred_language):
            return self.page(request, reminder.appointment, status=200)

    def post(self, request, token):
        try:
            reminder = reminder_of_link(token=token)
        except ReminderLinkError as error:
            return self.problem(request, error)
        with translation.override(reminder.client.preferred_language):
            try:
                appointment = reminder_link_use(token=token, action=self.action)
            except ReminderLinkError as error:
                return self.problem(request, error)
            except ValidationError as error:
                return self.page(request, reminder.appointment, status=409, refusal=error.messages)
            return self.page(request, appointment, status=200, done=True)

    def page(self, request, appointment, *, status, done=False, refusal=()):
        context = {
            "action": self.action,
            "appointment": appointment,
            "starts_at": timezone.localtime(appointment.starts_at),
            "done": done,
            "refusal": refusal,
            "language": translation.get_language(),
        }
        return render(request, TEMPLATE, context, status=status)

    def problem(self, request, error: ReminderLinkError):
        with translation.override(error.language or translation.get_language()):
            context = {"problem": str(error.reason), "language": translation.get_language()}
            return render(request, TEMPLATE, context, status=410 if error.language else 400)
