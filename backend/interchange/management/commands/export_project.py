from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.common.exceptions import ApplicationError
from backend.interchange.services import project_export
from backend.projects.models import Project


class Command(BaseCommand):
    help = "Export a project as one zip (formats: dlc, slp, pkg.slp, coco, lightning_pose, nwb)."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("format", help="dlc, slp, pkg.slp, coco, lightning_pose, nwb")
        parser.add_argument("out", help="the zip file to write, or a folder for it")
        parser.add_argument("--approved-only", action="store_true")

    def handle(self, *args, project_id, format, out, approved_only, **options):
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            raise CommandError(f"No project {project_id}.")
        try:
            path = project_export(project=project, format=format, approved_only=approved_only,
                                  dest=Path(out))  # fmt: skip
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(str(path))
