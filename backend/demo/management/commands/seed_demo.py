from django.core.management.base import BaseCommand

from backend.demo.services import DEMO_PASSWORD, DEMO_USERNAME, demo_seed


class Command(BaseCommand):
    help = "Create the demo login and the demo project (idempotent)."

    def handle(self, *args, **options) -> None:
        project = demo_seed()
        self.stdout.write(
            f"Demo project {project.name!r} (id {project.id}); log in as "
            f"{DEMO_USERNAME} / {DEMO_PASSWORD}"
        )
