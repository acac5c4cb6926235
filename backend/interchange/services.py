"""Import and export of whole labeled projects: ProjectData <-> database rows, and the jobs.

``project_import`` is all or nothing: everything is written in one transaction,
and video files put in storage are removed again if any step fails.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from backend.common import jobs, storage
from backend.common.exceptions import ApplicationError
from backend.interchange import formats, safezip, sandbox
from backend.interchange.data import (
    HUMAN,
    MODEL,
    FormatError,
    FrameData,
    ImageRef,
    InstanceData,
    ProjectData,
    Skeleton,
    Suggestion,
    VideoData,
    frame_poses,
    instances_from_poses,
)
from backend.interchange.encode import FrameReader, encode_images
from backend.interchange.export_options import (
    DEFAULT_LABEL_SET,
    label_statuses,
    project_identity,
)
from backend.interchange.formats._common import stem
from backend.interchange.import_extras import import_extras, report_message
from backend.interchange.models import FrameSuggestion, ImportedFrameSource, ImportExportJob
from backend.labels.models import Instance, LabeledFrame, LabelHistory
from backend.labels.services import MAX_INSTANCES_PER_FRAME
from backend.projects.models import Project
from backend.projects.services import project_create, skeleton_update
from backend.videos import media
from backend.videos.models import Video
from backend.videos.services import video_create_from_path
from ml_worker import poses

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
IMPORT_SUFFIXES = (".zip", ".pkg.slp", ".slp", ".json")


def _noop(_fraction: float, _message: str) -> None:
    return None


# --- import ------------------------------------------------------------------


def project_import(
    *,
    path: Path,
    owner: Any,
    name: str | None = None,
    on_progress: Progress | None = None,
    label_status: str = LabeledFrame.Status.APPROVED,
    report: dict[str, Any] | None = None,
    data: ProjectData | None = None,
) -> Project:
    """Import a project folder or file (any registered format) as a new project of ``owner``.

    Human-labeled frames get ``label_status`` (approved by default: they come from a
    finished project elsewhere); frames holding only predictions stay in progress.
    ``report``, if given, receives what the import has to tell besides the project
    (e.g. DeepLabCut videos it could not read; see ``import_extras``).
    ``data`` is the project already read from ``path`` (uploads are read in
    ``sandbox.parse``, never in this process).
    """
    progress = on_progress or _noop
    progress(0.0, "Reading the project")
    if data is None:
        try:
            data = formats.load(Path(path))
        except FormatError as exc:
            raise ApplicationError(str(exc)) from None
    _check_limits(data)
    stored: list[str] = []  # storage keys of the videos written so far
    with tempfile.TemporaryDirectory(prefix="poseforge-import-") as tmp:
        try:
            sources = _prepare_videos(data, Path(tmp), progress)
            progress(0.8, "Saving labels")
            with transaction.atomic():
                project = _write_project(data, sources, owner, name, label_status, stored)
                progress(0.9, "Adding the project's videos")
                extras = import_extras(project=project, data=data, path=Path(path), stored=stored)
        except FormatError as exc:
            _remove(stored)
            raise ApplicationError(str(exc)) from None
        except BaseException:
            _remove(stored)
            raise
    progress(1.0, "Imported")
    if report is not None:
        report.update(extras)
    return project


def _check_limits(data: ProjectData) -> None:
    for frame in data.frames:
        if len(frame.instances) > MAX_INSTANCES_PER_FRAME:
            raise ApplicationError(
                f"A frame holds {len(frame.instances)} instances; PoseForge allows "
                f"{MAX_INSTANCES_PER_FRAME}."
            )
    for video in data.videos:
        if video.path is None and not video.images:
            raise ApplicationError(f"Video {video.name!r} has neither a file nor images.")


def _prepare_videos(data: ProjectData, tmp: Path, progress: Progress) -> list[tuple[Path, str]]:
    """(file, display name) per video; image sequences are encoded to lossless video first."""
    out = []
    total = sum(len(v.images or []) for v in data.videos) or 1
    done = 0
    for i, video in enumerate(data.videos):
        if video.images is not None and video.path is not None:  # encoded by the sandbox
            out.append((video.path, f"{video.name}.mkv"))
        elif video.images is not None:
            dest = tmp / f"{i:03d}.mkv"

            def tick(_k: int) -> None:
                nonlocal done
                done += 1
                if done % 10 == 0:
                    progress(0.05 + 0.75 * done / total, f"Encoding images ({done}/{total})")

            encode_images(video.images, dest, tick)
            out.append((dest, f"{video.name}.mkv"))
        else:
            out.append((video.path, video.name))
    return out


def _remove(keys: list[str]) -> None:
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - best effort: the import failed already
            logger.warning("could not remove %s after a failed import", key)


def _write_project(
    data: ProjectData,
    sources: list[tuple[Path, str]],
    owner: Any,
    name: str | None,
    label_status: str,
    stored: list[str],
) -> Project:
    project = project_create(
        name=(name or data.name or "Imported project")[:200],
        description="Imported from a labeled project file.",
        owner=owner,
        max_instances=max((len(f.instances) for f in data.frames), default=0) or 1,
        tracks=[{"name": t} for t in dict.fromkeys(t[:100] for t in data.all_tracks())],
    )
    skeleton = skeleton_update(
        project=project,
        data={
            "nodes": [{"name": n} for n in data.skeleton.nodes],
            "edges": [list(e) for e in data.skeleton.edges],
            "symmetries": [list(s) for s in data.skeleton.symmetries],
        },
    )
    node_ids = [n["id"] for n in skeleton["nodes"]]
    videos: list[Video] = []
    for vd, (file, display) in zip(data.videos, sources, strict=True):
        video = video_create_from_path(project=project, path=file, name=display)
        stored.append(video.file.name)
        _fix_frame_count(video, vd, data, len(videos))
        videos.append(video)
        if vd.images is not None:
            ImportedFrameSource.objects.bulk_create(
                ImportedFrameSource(
                    video=video,
                    frame_index=k,
                    original_path=ref.name[:500],
                    width=ref.width,
                    height=ref.height,
                    grayscale=ref.grayscale,
                    original_frame_index=ref.original_frame_index,
                )
                for k, ref in enumerate(vd.images)
            )
    rows = [
        LabeledFrame(
            video=videos[f.video],
            frame_index=f.frame_index,
            status=f.status or _status_for(f, label_status),
            version=1,
            updated_by=owner,
        )
        for f in data.frames
    ]
    LabeledFrame.objects.bulk_create(rows, batch_size=500)
    rows = list(LabeledFrame.objects.filter(video__project=project).order_by("id"))
    by_key = {(r.video_id, r.frame_index): r for r in rows}
    instances, history = [], []
    for frame in data.frames:
        row = by_key[(videos[frame.video].id, frame.frame_index)]
        items = _instance_rows(frame.instances, node_ids)
        instances += [Instance(labeled_frame=row, **item) for item in items]
        history.append(
            LabelHistory(
                labeled_frame=row, user=owner, action="import", version=1, before=None, after=items
            )  # fmt: skip
        )
    Instance.objects.bulk_create(instances, batch_size=1000)
    LabelHistory.objects.bulk_create(history, batch_size=500)
    FrameSuggestion.objects.bulk_create(
        [FrameSuggestion(video=videos[s.video], frame_index=s.frame_index, group=s.group)
         for s in data.suggestions],
        ignore_conflicts=True,
    )  # fmt: skip
    return project


def _status_for(frame: FrameData, label_status: str) -> str:
    if any(i.source == HUMAN for i in frame.instances) or not frame.instances:
        return label_status
    return LabeledFrame.Status.IN_PROGRESS


def _fix_frame_count(video: Video, vd: VideoData, data: ProjectData, index: int) -> None:
    """Headers of some containers (Matroska) do not hold the frame count: count it."""
    used = [f.frame_index for f in data.frames if f.video == index]
    used += [s.frame_index for s in data.suggestions if s.video == index]
    exact = len(vd.images) if vd.images is not None else None
    if exact is None and used and max(used) >= video.frame_count:
        exact = media.count_frames(storage.local_path(video.file.name))
    if exact is not None and exact != video.frame_count:
        video.frame_count = exact
        video.save(update_fields=["frame_count"])
    if used and max(used) >= video.frame_count:
        raise FormatError(
            f"Frame {max(used)} of {vd.name!r} is labeled, but the video has only "
            f"{video.frame_count} frames."
        )


def _instance_rows(instances: list[InstanceData], node_ids: list[int]) -> list[dict[str, Any]]:
    """Instance rows (track, source, points) through the pose codec; model points keep scores."""
    arrays = frame_poses(instances, len(node_ids))
    arrays.tracks = [t[:100] if t is not None else None for t in arrays.tracks]
    rows = []
    for i, inst in enumerate(instances):
        scored = inst.source == MODEL and inst.scores is not None
        for row in poses.to_stored(arrays.select([i]), node_ids, source=inst.source,
                                   with_scores=scored):  # fmt: skip
            row.pop("score", None)  # Instance rows keep point scores only
            rows.append(row)
    return rows


# --- export ------------------------------------------------------------------


def project_to_data(
    *, project: Project, labels: str = DEFAULT_LABEL_SET, user: Any = None
) -> ProjectData:
    """The project as ProjectData (what exporters write): frames whose status ``labels`` names.

    ``user`` (the one exporting) is the scorer when the project did not come with one.
    """
    nodes = list(project.nodes.all())
    index_of = {n.id: i for i, n in enumerate(nodes)}
    name_of = {n.id: n.name for n in nodes}
    skeleton = Skeleton(
        nodes=[n.name for n in nodes],
        edges=[(name_of[e.source_id], name_of[e.destination_id]) for e in project.edges.all()],
        symmetries=[(name_of[s.node_a_id], name_of[s.node_b_id]) for s in project.symmetries.all()],
    )
    identity = project_identity(project=project, user=user)
    data = ProjectData(name=project.name, skeleton=skeleton, scorer=identity.scorer,
                       task=identity.task, date=identity.date)  # fmt: skip
    videos = list(project.videos.all())
    position = {v.id: i for i, v in enumerate(videos)}
    for video in videos:
        data.videos.append(_video_data(video))
    # Picked frames nobody has labeled yet ("todo") are never in a label set.
    frames = LabeledFrame.objects.filter(
        video__project=project, status__in=label_statuses(labels)
    ).prefetch_related("instances")
    for frame in frames.order_by("video_id", "frame_index"):
        fd = FrameData(video=position[frame.video_id], frame_index=frame.frame_index,
                       status=frame.status)  # fmt: skip
        rows = list(frame.instances.all())
        stored = [{"track": r.track, "points": r.points} for r in rows]
        arrays = poses.from_stored(stored, index_of, dtype=np.float64)
        fd.instances = instances_from_poses(arrays, [r.source for r in rows])
        data.frames.append(fd)
    data.tracks = sorted(data.all_tracks(), key=_natural)
    for s in FrameSuggestion.objects.filter(video__project=project):
        data.suggestions.append(Suggestion(position[s.video_id], s.frame_index, s.group))
    return data


def _natural(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _video_data(video: Video) -> VideoData:
    path = storage.local_path(video.file.name)
    frame_reader = FrameReader(path)

    def reader(index: int) -> np.ndarray:
        return frame_reader.read(index)

    sources = list(ImportedFrameSource.objects.filter(video=video))
    vd = VideoData(
        name=video.name, path=path, fps=video.fps, width=video.width, height=video.height,
        frame_count=video.frame_count, reader=reader,
    )  # fmt: skip
    if sources and len(sources) == video.frame_count:
        vd.images = [
            ImageRef(
                name=s.original_path,
                width=s.width,
                height=s.height,
                loader=_cropped_loader(reader, s),
                original_frame_index=s.original_frame_index,
                grayscale=s.grayscale,
            )
            for s in sources
        ]
        vd.name = re.sub(r"\.mkv$", "", video.name)
    return vd


def _cropped_loader(
    reader: Callable[[int], np.ndarray], source: ImportedFrameSource
) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        rgb = reader(source.frame_index)[: source.height, : source.width]
        return rgb[:, :, 0].copy() if source.grayscale else rgb

    return load


def project_export(
    *,
    project: Project,
    format: str,
    labels: str = DEFAULT_LABEL_SET,
    user: Any = None,
    dest: Path,
) -> Path:
    """Write the project in ``format`` as one zip file; ``dest`` is the zip or a folder for it."""
    if format not in formats.export_formats():
        known = ", ".join(formats.export_formats())
        raise ApplicationError(f"Unknown export format {format!r} (use one of: {known}).")
    data = project_to_data(project=project, labels=labels, user=user)
    slug = re.sub(r"[^\w\-]+", "_", project.name).strip("_") or f"project{project.id}"
    dest = Path(dest)
    target = dest if dest.suffix == ".zip" else dest / f"{slug}-{format.replace('.', '_')}.zip"
    with tempfile.TemporaryDirectory(prefix="poseforge-export-") as tmp:
        folder = Path(tmp) / slug
        try:
            formats.save(data, folder, format)
        except FormatError as exc:
            raise ApplicationError(str(exc)) from None
        safezip.zip_folder(folder, target)
    return target


# --- jobs --------------------------------------------------------------------


def _suffix(name: str) -> str | None:
    lower = name.lower()
    return next((s for s in IMPORT_SUFFIXES if lower.endswith(s)), None)


def import_job_create(
    *, user: Any, upload: UploadedFile, project_name: str | None = None
) -> ImportExportJob:
    """Check the upload (a zip is list-checked here, so hostile archives never get stored).

    ``project_name`` names the new project (default: the name the imported project has).
    """
    name = upload.name or ""
    suffix = _suffix(name)
    if suffix is None:
        raise ApplicationError(
            f"{name!r} cannot be imported: upload a .zip of a DeepLabCut / COCO / Lightning Pose "
            "project folder, a SLEAP .slp / .pkg.slp file, or a COCO .json without images."
        )
    if not upload.size:
        raise ApplicationError("The uploaded file is empty.")
    _check_import_quota(user)
    if upload.size > safezip.max_total_bytes():
        raise ApplicationError(
            f"The upload is larger than {safezip.max_total_bytes() // (1024 * 1024)} MB."
        )
    if suffix == ".zip":
        with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
            for chunk in upload.chunks():
                tmp.write(chunk)
            tmp.flush()
            safezip.check_zip(Path(tmp.name))
        upload.seek(0)
    job = ImportExportJob(
        uid=uuid.uuid4().hex,
        kind=ImportExportJob.Kind.IMPORT,
        created_by=user,
        input_name=name[:255],
        format=suffix.lstrip("."),
        options={"name": project_name.strip()[:200]}
        if project_name and project_name.strip()
        else {},
    )
    job.input_file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            _check_import_quota(user, lock=True)  # again, serialised: requests may race
            job.save()
            transaction.on_commit(lambda: _enqueue("interchange.import", job.id))
    except Exception:
        job.input_file.delete(save=False)
        raise
    return job


def _check_import_quota(user: Any, *, lock: bool = False) -> None:
    """At most IMPORT_MAX_CONCURRENT_PER_USER imports of one user queued or running (429)."""
    limit = settings.IMPORT_MAX_CONCURRENT_PER_USER
    if lock:
        # The user model, not type(user): a session request's user is a SimpleLazyObject.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    busy = ImportExportJob.objects.filter(
        created_by=user, kind=ImportExportJob.Kind.IMPORT,
        status__in=[ImportExportJob.Status.QUEUED, ImportExportJob.Status.RUNNING],
    ).count()  # fmt: skip
    if busy >= limit:
        raise ApplicationError(
            f"You already have {busy} imports waiting or running (at most {limit}); "
            "try again when one has finished.",
            status_code=429,
        )


def export_job_create(
    *, user: Any, project: Project, format: str, labels: str = DEFAULT_LABEL_SET
) -> ImportExportJob:
    if format not in formats.export_formats():
        known = ", ".join(formats.export_formats())
        raise ApplicationError(f"Unknown export format {format!r} (use one of: {known}).")
    label_statuses(labels)  # an unknown selection is refused now, not in the worker
    with transaction.atomic():
        job = ImportExportJob.objects.create(
            uid=uuid.uuid4().hex,
            kind=ImportExportJob.Kind.EXPORT,
            created_by=user,
            project=project,
            format=format,
            options={"labels": labels},
        )
        transaction.on_commit(lambda: _enqueue("interchange.export", job.id))
    return job


def _enqueue(name: str, job_id: int) -> None:
    from backend.interchange import tasks

    task = tasks.import_project if name == "interchange.import" else tasks.export_project
    task.delay(job_id)


def _claim(job_id: int, worker: str = "") -> ImportExportJob | None:
    """Queued -> running exactly once (a redelivered task finds it taken)."""
    claimed = jobs.claim(ImportExportJob, job_id, worker=worker or socket.gethostname())
    return ImportExportJob.objects.get(pk=job_id) if claimed else None


def _progress_saver(job: ImportExportJob) -> Progress:
    """Progress with an ETA on the job row (also its heartbeat; the reaper watches it)."""
    return jobs.Progress(ImportExportJob, job.pk)


def _fail(job: ImportExportJob, exc: BaseException) -> None:
    if isinstance(exc, ApplicationError):
        error = exc.message
    else:
        logger.exception("interchange job %s failed", job.pk)
        error = f"Unexpected error: {exc.__class__.__name__}: {exc}"
    jobs.fail(ImportExportJob, job.pk, error=error)


def _unpack_upload(job: ImportExportJob, folder: Path) -> Path:
    """The upload as files under ``folder`` (nothing else is there); the path to import."""
    folder.mkdir()
    source = storage.local_path(job.input_file.name)
    if job.format == "zip":
        safezip.extract_zip(source, folder)
        return safezip.project_root(folder)
    if job.format == "json":  # the name shows in messages about it
        path = folder / f"{stem(job.input_name) or 'upload'}.json"
    else:
        path = folder / f"upload.{job.format}"
    shutil.copyfile(source, path)
    return path


def import_job_run(*, job_id: int, worker: str = "", heartbeat: bool = True) -> None:
    """Run a claimed import; a heartbeat thread runs meanwhile (off for eager tasks)."""
    job = _claim(job_id, worker)
    if job is None:
        return
    with jobs.Heartbeat(ImportExportJob, job_id, enabled=heartbeat):
        _import_claimed(job)


def _import_claimed(job: ImportExportJob) -> None:
    try:
        with tempfile.TemporaryDirectory(prefix="poseforge-upload-") as tmp:
            work = Path(tmp)
            path = _unpack_upload(job, work / "x")
            try:
                data = sandbox.parse(work, path.relative_to(work).as_posix(),
                                     _progress_saver(job))  # fmt: skip
            except sandbox.ParseError as exc:
                raise ApplicationError(str(exc)) from None
            report: dict[str, Any] = {}
            project = project_import(
                data=data,
                path=path,
                owner=job.created_by,
                name=job.options.get("name") or None,
                on_progress=_progress_saver(job),
                report=report,
            )
    except Exception as exc:  # noqa: BLE001 - every failure is reported on the job
        _fail(job, exc)
    else:
        message = f"Imported project {project.name!r}. {report_message(report)}".strip()
        jobs.finish(ImportExportJob, job.pk, message=message, project=project, result=report)
    finally:
        job.input_file.delete(save=False)
        ImportExportJob.objects.filter(pk=job.pk).update(input_file="")


def export_job_run(*, job_id: int, worker: str = "", heartbeat: bool = True) -> None:
    """Run a claimed export; a heartbeat thread runs meanwhile (off for eager tasks)."""
    job = _claim(job_id, worker)
    if job is None:
        return
    with jobs.Heartbeat(ImportExportJob, job_id, enabled=heartbeat):
        _export_claimed(job)


def _export_claimed(job: ImportExportJob) -> None:
    try:
        with tempfile.TemporaryDirectory(prefix="poseforge-export-job-") as tmp:
            _progress_saver(job)(0.1, "Writing files")
            path = project_export(
                project=job.project,
                format=job.format,
                labels=_job_labels(job.options),
                user=job.created_by,
                dest=Path(tmp),
            )
            with path.open("rb") as handle:
                job.result_file.save(path.name, File(handle), save=False)
    except Exception as exc:  # noqa: BLE001 - every failure is reported on the job
        _fail(job, exc)
        return
    jobs.finish(ImportExportJob, job.pk, message=f"Exported as {job.format}",
                result_file=job.result_file.name)  # fmt: skip


def _job_labels(options: dict[str, Any]) -> str:
    """Jobs queued before label sets existed said ``approved_only`` (else: everything)."""
    if "labels" in options:
        return str(options["labels"])
    return "approved" if options.get("approved_only") else "all"


def job_delete_files(*, job: ImportExportJob) -> None:
    for field in (job.input_file, job.result_file):
        if field:
            field.delete(save=False)
