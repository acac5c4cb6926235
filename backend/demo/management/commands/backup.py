"""``manage.py backup OUT.tar.gz``: the database and MEDIA_ROOT in one archive.

The archive holds ``manifest.json`` (format, Django version, row counts, sha256
of every media file), ``db.xml`` (``dumpdata`` of every app, XML: it keeps microseconds, JSON does not; portable between
SQLite and PostgreSQL) and ``media/`` (videos, frame cache excluded, models,
exports). Restore with ``manage.py restore`` onto an empty instance. Stop the
workers (or make sure no job runs) while it runs: a file written meanwhile may
be missing from the archive. See docs/operations.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.common import storage

FORMAT = "poseforge.backup.v1"
# Rebuilt by Django or derivable: not worth restoring (and would clash with migrate).
EXCLUDED_MODELS = ["contenttypes", "auth.permission", "sessions.session", "admin.logentry"]
# Decoded frames are a cache: rebuilt on demand.
SKIPPED_MEDIA = ("cache/",)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
        and not p.relative_to(root).as_posix().startswith(SKIPPED_MEDIA)
    )  # fmt: skip


class Command(BaseCommand):
    help = "Write the database and media files into one .tar.gz archive."

    def add_arguments(self, parser) -> None:
        parser.add_argument("out", help="archive to write, e.g. poseforge-2025-01-31.tar.gz")

    def handle(self, *args, out: str, **options) -> None:
        if not storage.is_local():
            raise CommandError("MEDIA_STORAGE=s3: this command archives MEDIA_ROOT only; copy the "
                               "bucket with the store's own tools (mc mirror, aws s3 sync).")  # fmt: skip
        target = Path(out)
        if target.exists():
            raise CommandError(f"{target} exists; refusing to overwrite it.")
        media = Path(settings.MEDIA_ROOT)
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / "db.xml"
            call_command("dumpdata", exclude=EXCLUDED_MODELS, natural_foreign=True, format="xml",
                         output=str(dump), verbosity=0)  # fmt: skip
            files = media_files(media)
            counts = {
                m._meta.label: m.objects.count()
                for m in apps.get_models()
                if m._meta.app_label not in ("contenttypes", "sessions", "admin")
            }
            manifest = {
                "format": FORMAT, "created_at": timezone.now().isoformat(),
                "django": django.get_version(), "rows": counts,
                "media": {p.relative_to(media).as_posix(): sha256(p) for p in files},
            }  # fmt: skip
            partial = target.with_name(target.name + ".partial")
            with tarfile.open(partial, "w:gz") as archive:
                data = json.dumps(manifest, indent=1).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
                archive.add(dump, "db.xml")
                for path in files:
                    archive.add(path, "media/" + path.relative_to(media).as_posix())
            partial.replace(target)
        self.stdout.write(
            f"Backed up {sum(counts.values())} rows and {len(files)} media files to {target}"
        )
