from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.common.exceptions import ApplicationError
from backend.interchange.export_options import DEFAULT_LABEL_SET, LABEL_SETS
from backend.interchange.services import project_export
from backend.projects.models import Project


class Command(BaseCommand):
    help = "Export a project as one zip (formats: dlc, slp, pkg.slp, coco, lightning_pose, nwb)."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("format", help="dlc, slp, pkg.slp, coco, lightning_pose, nwb")
        parser.add_argument("out", help="the zip file to write, or a folder for it")
        parser.add_argument(
            "--labels", choices=list(LABEL_SETS), default=DEFAULT_LABEL_SET,
            help="which frames: approved_submitted (default), approved, or all (also in "
            "progress and rejected)",
        )  # fmt: skip
        parser.add_argument("--approved-only", action="store_true", help="same as --labels approved")

    def handle(self, *args, project_id, format, out, labels, approved_only, **options):
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            raise CommandError(f"No project {project_id}.")
        try:
            path = project_export(project=project, format=format,
                                  labels="approved" if approved_only else labels,
                                  dest=Path(out))  # fmt: skip
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(str(path))
