from django.core.management.base import BaseCommand

from backoffice.accounts.services import roles_sync


class Command(BaseCommand):
    help = "Create or update the role groups (admin, finance, read-only, therapist)."

    def handle(self, *args, **options):
        groups = roles_sync()
        self.stdout.write(f"Roles up to date: {', '.join(role.value for role in groups)}")
