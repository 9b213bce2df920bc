from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self):
        # The tasks register themselves as the on-commit jobs services name (messaging.worker).
        from jobs import tasks  # noqa: F401
