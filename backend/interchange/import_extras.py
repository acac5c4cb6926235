"""What an import keeps besides the labels: the source's identity and a DLC project's videos.

- ``origin_record`` remembers the scorer, task and date a DeepLabCut project had, so
  an export writes ``CollectedData_<scorer>`` and ``date`` back as they were.
- ``project_videos_import`` brings the files of a DeepLabCut project's ``videos/``
  folder in as project Videos, through the same service (and processing task) as an
  upload. A file it cannot use does not fail the import: it is reported by name and
  reason in the import job's ``result`` and message.

Both run inside the import's transaction; video files put in storage are appended to
``stored`` so a failed import removes them again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from backend.common.exceptions import ApplicationError
from backend.interchange.data import ProjectData
from backend.interchange.formats._common import file_inside
from backend.interchange.models import ProjectOrigin
from backend.projects.models import Project
from backend.videos.services import ALLOWED_SUFFIXES, video_create_from_path


def origin_record(*, project: Project, data: ProjectData, format: str) -> ProjectOrigin:
    return ProjectOrigin.objects.create(
        project=project,
        format=format[:32],
        scorer=data.scorer[:100],
        task=data.task[:200],
        date=data.date[:32],
    )


def dlc_videos_folder(path: Path) -> Path | None:
    root = path.parent if path.name == "config.yaml" else path
    folder = root / "videos"
    # A link named videos/ could point anywhere on the server: only a real folder counts.
    return folder if folder.is_dir() and not folder.is_symlink() else None


def _unusable(file: Path) -> str | None:
    """Why ``file`` cannot become a project video without trying it, or None."""
    suffix = file.suffix.lower().lstrip(".")
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(sorted(ALLOWED_SUFFIXES))
        return f"not a supported video file (use one of: {allowed})"
    if file.stat().st_size == 0:
        return "the file is empty"
    if file.stat().st_size > settings.MAX_VIDEO_UPLOAD_MB * 1024 * 1024:
        return f"larger than the {settings.MAX_VIDEO_UPLOAD_MB} MB video limit"
    return None


def project_videos_import(*, project: Project, folder: Path, stored: list[str]) -> dict[str, Any]:
    """Add every readable video in ``folder``; ``{"videos_added", "videos_skipped"}``."""
    added: list[str] = []
    skipped: list[dict[str, str]] = []
    for entry in sorted(folder.iterdir()):
        # file_inside never follows a link: the upload may only hand us its own files.
        file = file_inside(folder, entry.name)
        if entry.name.startswith(".") or file is None:
            continue  # .DS_Store, sub-folders, links: not videos anybody put there
        reason = _unusable(file)
        if reason is None:
            try:
                video = video_create_from_path(project=project, path=file, name=file.name)
            except ApplicationError as exc:
                reason = exc.message
            else:
                stored.append(video.file.name)
                added.append(file.name)
                continue
        skipped.append({"name": f"videos/{file.name}", "reason": reason})
    return {"videos_added": added, "videos_skipped": skipped}


def import_extras(
    *, project: Project, data: ProjectData, path: Path, stored: list[str]
) -> dict[str, Any]:
    """Origin + (for DeepLabCut projects) the videos/ folder; the report for the job."""
    origin_record(project=project, data=data, format=data.format)
    # Only the worker's own copy of the upload is looked at: no reader runs on it here
    # except the video probe every upload goes through.
    folder = dlc_videos_folder(path) if data.format == "dlc" else None
    if folder is None:
        return {}
    return project_videos_import(project=project, folder=folder, stored=stored)


def report_message(report: dict[str, Any]) -> str:
    """One line for the job's message (the full list is in the job's result)."""
    parts = []
    if report.get("videos_added"):
        parts.append(f"Added {len(report['videos_added'])} video(s) from videos/.")
    skipped = report.get("videos_skipped") or []
    if skipped:
        listed = "; ".join(f"{s['name']} ({s['reason']})" for s in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        parts.append(f"Could not read {len(skipped)} file(s): {listed}{more}.")
    return " ".join(parts)
