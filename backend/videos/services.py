"""Video upload, processing and the on-demand JPEG frame cache.

Processing decodes the whole video once to build its frame index (see
``frame_index``), which makes every later single-frame read exact. Cached JPEGs
live under a folder named after ``FRAME_CACHE_VERSION``: bumping it retires
every JPEG an older reader wrote (version 1 cached solid green frames for some
H.264 4:4:4 videos, see ``media._prime``); ``manage.py check_frames`` purges them.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.projects.models import Project
from backend.videos import frame_index, media
from backend.videos.models import Video

ALLOWED_SUFFIXES = {"mp4", "avi", "mov", "mkv", "webm", "m4v"}
# Bump when decoded pixels may differ from what an older version cached.
FRAME_CACHE_VERSION = 2


def _check_upload(upload: UploadedFile) -> None:
    name = upload.name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(sorted(ALLOWED_SUFFIXES))
        raise ApplicationError(f"{name!r} is not a supported video file (use one of: {allowed}).")
    if upload.size == 0:
        raise ApplicationError("The uploaded file is empty.")
    limit = settings.MAX_VIDEO_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise ApplicationError(
            f"The file is larger than the {settings.MAX_VIDEO_UPLOAD_MB} MB limit."
        )


def _probe_upload(upload: UploadedFile) -> media.VideoInfo:
    path = getattr(upload, "temporary_file_path", None)
    if path:
        return media.probe(Path(path()))
    with tempfile.NamedTemporaryFile(suffix=".video") as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        upload.seek(0)
        return media.probe(Path(tmp.name))


def video_create_from_path(*, project: Project, path: Path, name: str | None = None) -> Video:
    """Register a video file from disk (demo data, imports); same checks as an upload."""
    with path.open("rb") as handle:
        upload = File(handle, name=name or path.name)
        upload.size = path.stat().st_size  # type: ignore[misc]
        return _video_store(project=project, upload=upload, info=_probe_path(path))


def _probe_path(path: Path) -> media.VideoInfo:
    try:
        return media.probe(path)
    except media.VideoError as exc:
        raise ApplicationError(str(exc)) from exc


def video_upload(*, project: Project, upload: UploadedFile) -> Video:
    _check_upload(upload)
    try:
        info = _probe_upload(upload)
    except media.VideoError as exc:
        raise ApplicationError(str(exc)) from exc
    return _video_store(project=project, upload=upload, info=info)


def _video_store(*, project: Project, upload: File, info: media.VideoInfo) -> Video:
    from backend.videos.tasks import video_process

    video = Video(
        project=project,
        uid=uuid.uuid4().hex,
        name=os.path.basename(upload.name or "video")[:255],
        size_bytes=upload.size or 0,
        fps=info.fps,
        frame_count=info.frame_count,
        width=info.width,
        height=info.height,
        codec=info.codec,
    )
    video.file.save(upload.name or "video.mp4", upload, save=False)
    try:
        with transaction.atomic():
            video.save()
            transaction.on_commit(lambda: video_process.delay(video.id))
    except Exception:
        video.file.delete(save=False)
        raise
    return video


def video_delete(*, video: Video) -> None:
    cache = frame_cache_prefix(video)
    if video.file:
        frame_index.delete_stored(video.file.name)
    video.file.delete(save=False)
    video.delete()
    storage.delete_prefix(cache)


def video_process(*, video_id: int) -> None:
    """Worker side: frame index (exact frame count), a thumbnail, then mark the video ready."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        return
    try:
        path = storage.local_path(video.file.name)
        video.frame_count = len(frame_index.build_and_save(path)) or video.frame_count
        jpeg = media.encode_jpeg(media.read_frame(path, 0), quality=80, max_width=320)
        video.thumbnail = storage.save_bytes(f"{frame_cache_prefix(video)}/thumbnail.jpg", jpeg)
        video.status = Video.Status.READY
        video.error = ""
    except Exception as exc:  # noqa: BLE001 - any failure is shown to the user on the video
        video.status = Video.Status.FAILED
        video.error = f"Processing failed: {exc}"
    video.save(update_fields=["frame_count", "thumbnail", "status", "error"])


def frame_cache_prefix(video: Video) -> str:
    """The video's cache folder key (thumbnail and, per cache version, frame JPEGs)."""
    return f"cache/frames/{video.uid}"


def frame_jpeg_prefix(video: Video) -> str:
    return f"{frame_cache_prefix(video)}/v{FRAME_CACHE_VERSION}"


def frame_cache_purge_stale(*, video: Video) -> int:
    """Delete frame JPEGs cached by older versions; returns how many files went."""
    cache, current = frame_cache_prefix(video), frame_jpeg_prefix(video) + "/"
    stale = [
        key for key in storage.list_keys(cache)
        if not key.startswith(current) and key != f"{cache}/thumbnail.jpg"
    ]  # fmt: skip
    for key in stale:
        storage.delete(key)
    return len(stale)


def video_local_path(video: Video) -> Path:
    """The video file on this machine (a cached copy when media live in S3), for PyAV."""
    return storage.local_path(video.file.name)


def frame_jpeg_key(*, video: Video, index: int) -> str:
    """Storage key of the cached JPEG of frame ``index``, decoding it on first use."""
    if index < 0 or index >= video.frame_count:
        raise ApplicationError(
            f"Frame {index} is out of range (the video has {video.frame_count} frames).",
            status_code=404,
        )
    key = f"{frame_jpeg_prefix(video)}/{index:07d}.jpg"
    if not storage.exists(key):
        try:
            rgb = media.read_frame(video_local_path(video), index)
        except IndexError as exc:
            raise ApplicationError(str(exc), status_code=404) from exc
        storage.save_bytes(key, media.encode_jpeg(rgb, quality=settings.FRAME_CACHE_JPEG_QUALITY))
    return key


def frame_rgb(*, video: Video, index: int):
    """Decoded RGB frame (numpy), for workers that need pixels rather than a JPEG."""
    return media.read_frame(video_local_path(video), index)
