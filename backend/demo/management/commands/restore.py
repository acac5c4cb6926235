"""``manage.py restore ARCHIVE``: load a ``manage.py backup`` archive onto an empty instance.

Runs the migrations, refuses if the database already holds users or projects,
checks every media file against the manifest's sha256, extracts media into
MEDIA_ROOT (tar "data" filter: no absolute paths, no ``..``, no links out) and
loads the rows in one transaction. See docs/operations.md.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backend.common import storage
from backend.demo.management.commands.backup import FORMAT, sha256


class Command(BaseCommand):
    help = "Restore a backup archive (database + media) onto an empty instance."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive")

    def handle(self, *args, archive: str, **options) -> None:
        from backend.projects.models import Project

        source = Path(archive)
        if not storage.is_local():
            raise CommandError("MEDIA_STORAGE=s3: this command archives MEDIA_ROOT only; copy the "
                               "bucket with the store's own tools (mc mirror, aws s3 sync).")  # fmt: skip
        if not source.is_file():
            raise CommandError(f"{source} does not exist.")
        call_command("migrate", interactive=False, verbosity=0)
        if get_user_model().objects.exists() or Project.objects.exists():
            raise CommandError("This instance is not empty (it has users or projects); "
                               "restore onto a fresh database.")  # fmt: skip
        media = Path(settings.MEDIA_ROOT)
        media.mkdir(parents=True, exist_ok=True)
        if any(media.iterdir()):
            raise CommandError(f"MEDIA_ROOT {media} is not empty; restore onto an empty one.")
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(source, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
            root = Path(tmp)
            manifest = json.loads((root / "manifest.json").read_text())
            if manifest.get("format") != FORMAT:
                raise CommandError(f"Not a PoseForge backup ({manifest.get('format')!r}).")
            for name, digest in manifest["media"].items():
                path = root / "media" / name
                if not path.is_file() or sha256(path) != digest:
                    raise CommandError(f"Media file {name} is missing or damaged in the archive.")
            with transaction.atomic():
                call_command("loaddata", str(root / "db.xml"), verbosity=0)
            if (root / "media").is_dir():
                shutil.copytree(root / "media", media, dirs_exist_ok=True)
        self.stdout.write(
            f"Restored {sum(manifest['rows'].values())} rows and {len(manifest['media'])} media "
            f"files from {source}"
        )
