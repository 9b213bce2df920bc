"""Forms of the worklist's admin pages and of the home page's task list."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from backoffice.worklist.models import Task, TaskState
from backoffice.worklist.selectors import staff_users

DONE, MINE = "done", "mine"


def _note_field():
    return forms.CharField(
        label=capfirst(_("note")),
        required=False,
        max_length=2000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        help_text=_("What was done (optional); kept with the task."),
    )


class TasksDoneForm(forms.Form):
    note = _note_field()


class TasksAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=capfirst(_("assign to")),
        queryset=staff_users(),
        required=False,
        empty_label=_("Nobody"),
        widget=UnfoldAdminSelectWidget,
    )
    assignee.label_from_instance = lambda user: user.get_full_name() or user.username


class HomeTasksForm(forms.Form):
    """The home page's task list: the ticked tasks (named as the task list's actions name
    their rows, so "Assign to…" posts them to the list's action) marked done with a note, or
    taken by the user."""

    _selected_action = forms.ModelMultipleChoiceField(
        label=_("Tasks"),
        queryset=Task.objects.filter(state=TaskState.OPEN),
        error_messages={"required": _("Tick the tasks first.")},
    )
    operation = forms.ChoiceField(
        label=_("What to do"), choices=[(DONE, _("Mark done")), (MINE, _("Assign to me"))]
    )
    note = _note_field()
