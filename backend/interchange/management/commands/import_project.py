from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backend.common.exceptions import ApplicationError
from backend.interchange import safezip
from backend.interchange.services import project_import


class Command(BaseCommand):
    help = "Import a DeepLabCut / SLEAP / COCO / Lightning Pose project (folder, file or zip)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--owner", default=None, help="username (default: first superuser)")
        parser.add_argument("--name", default=None)

    def handle(self, *args, path, owner, name, **options):
        users = get_user_model().objects
        user = (users.filter(username=owner).first() if owner
                else users.filter(is_superuser=True).order_by("id").first())  # fmt: skip
        if user is None:
            raise CommandError(f"No user {owner!r}." if owner else "Give --owner USERNAME.")
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{source} does not exist.")

        def progress(fraction: float, message: str) -> None:
            self.stderr.write(f"\r{fraction:5.0%} {message}".ljust(60), ending="")

        report: dict = {}
        try:
            if source.suffix.lower() == ".zip":
                import tempfile

                with tempfile.TemporaryDirectory() as tmp:
                    safezip.extract_zip(source, Path(tmp))
                    project = project_import(path=safezip.project_root(Path(tmp)), owner=user,
                                             name=name, on_progress=progress,
                                             report=report)  # fmt: skip
            else:
                project = project_import(path=source, owner=user, name=name, on_progress=progress,
                                         report=report)  # fmt: skip
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write("")
        self.stdout.write(f"Imported project {project.id}: {project.name}")
        for skipped in report.get("videos_skipped", []):
            self.stderr.write(f"Not imported: {skipped['name']}: {skipped['reason']}")
