"""The worklist's admin pages: mark done or assign the tasks picked in the list, and the home
page's task form."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.admin_base import PickedRowsFormView
from backoffice.worklist.admin.forms import MINE, HomeTasksForm, TasksAssignForm, TasksDoneForm
from backoffice.worklist.services import tasks_assign, tasks_mark_done


def marked_done(count: int) -> str:
    return ngettext("%d task marked done.", "%d tasks marked done.", count) % count


def assigned(count: int) -> str:
    return ngettext("%d task assigned.", "%d tasks assigned.", count) % count


class SelectedTasksView(PickedRowsFormView):
    """A form for the tasks picked in the list (an action), run by the form's service."""

    permission_required = ("worklist.change_task",)
    template_name = "admin/worklist/task/selected_tasks.html"
    submit_name = "_apply"
    action_name = ""
    tasks = None  # given by the action: as_view(tasks=…)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs,
            action_name=self.action_name,
            tasks=self.tasks.select_related("assignee"),
        )

    def form_valid(self, form):
        if self.run(form) is None:
            return self.form_invalid(form)
        return redirect(self.request.get_full_path())  # the list, as the admin's actions end


class TasksDoneView(SelectedTasksView):
    title = _("Mark tasks done")
    form_class = TasksDoneForm
    submit_label = _("Mark done")
    action_name = "mark_done"

    def run(self, form):
        return self.model_admin.run_service(
            self.request,
            tasks_mark_done,
            form=form,
            done=marked_done,
            tasks=self.tasks,
            by=self.request.user,
            note=form.cleaned_data["note"],
        )


class TasksAssignView(SelectedTasksView):
    title = _("Assign tasks")
    form_class = TasksAssignForm
    submit_label = _("Assign")
    action_name = "assign"

    def run(self, form):
        return self.model_admin.run_service(
            self.request,
            tasks_assign,
            form=form,
            done=assigned,
            tasks=self.tasks,
            assignee=form.cleaned_data["assignee"],
            by=self.request.user,
        )


class HomeTasksView(UnfoldModelAdminViewMixin, FormView):
    """The home page's task list posts here: the ticked tasks marked done or taken, then back
    to the home page with what was done (or what was wrong). "Assign to…" posts them to the
    task list's action instead, whose page offers every staff member."""

    title = _("Tasks")
    permission_required = ("worklist.change_task",)
    form_class = HomeTasksForm
    http_method_names = ["post"]

    def form_valid(self, form):
        data = form.cleaned_data
        tasks = data["_selected_action"]
        if data["operation"] == MINE:
            self.model_admin.run_service(
                self.request,
                tasks_assign,
                done=assigned,
                tasks=tasks,
                assignee=self.request.user,
                by=self.request.user,
            )
        else:
            self.model_admin.run_service(
                self.request,
                tasks_mark_done,
                done=marked_done,
                tasks=tasks,
                by=self.request.user,
                note=data["note"],
            )
        return redirect(reverse("admin:index"))

    def form_invalid(self, form):
        for errors in form.errors.values():
            for error in errors:
                self.model_admin.message_user(self.request, error, messages.ERROR)
        return redirect(reverse("admin:index"))
