"""The worklist in the admin: the task list, its actions, and the home page's task form."""

from backoffice.worklist.admin import tasks  # noqa: F401
