"""Two labs with one of every object each, built fast (no training, no worker).

``build_world`` makes project A (the ``project`` fixture: alice owner, bob
annotator, rita reviewer, vic viewer) and project B owned by oscar, whose
names carry ``OTHER_MARK`` so a leak of B into anything A's members see is
found by a substring search. Model versions and inference runs are fabricated
(rows plus small files in the real formats), so no torch is needed.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

OTHER_MARK = "zz-other-lab-secret"


@dataclass
class Lab:
    project: Any
    video: Any
    frame: Any  # labeled frame 0, in progress, with one instance
    submitted: Any  # labeled frame 10, submitted
    member: Any  # a viewer membership (to PATCH / DELETE)
    pick_job: Any
    job: Any  # training job (succeeded, has the model version)
    queued_job: Any  # training job queued (to cancel)
    version: Any
    run: Any  # succeeded inference run with predictions
    suggestion: Any
    export_job: Any
    import_job: Any
    ids: dict[str, int] = field(default_factory=dict)


def _points(project, dx: float = 0.0) -> list[dict[str, Any]]:
    nodes = list(project.nodes.order_by("position").values_list("id", flat=True))
    return [
        {"node": n, "x": 20.0 + 10 * i + dx, "y": 30.0 + dx, "visibility": 2}
        for i, n in enumerate(nodes)
    ]


def make_lab(project, video, owner, *, track: str = "mouse") -> Lab:
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from backend.common import storage
    from backend.inference.models import InferenceRun, Suggestion
    from backend.interchange.models import ImportExportJob
    from backend.labels import review
    from backend.labels.models import FramePickJob
    from backend.labels.services import labels_save
    from backend.projects.invitations import invitation_create
    from backend.projects.models import Membership
    from backend.training.models import ModelVersion, PretrainJob, TrainingJob
    from backend.training.services import model_prefix, snapshot_freeze
    from backend.videos.services import video_process

    video_process(video_id=video.id)  # thumbnail + ready, as the worker would
    video.refresh_from_db()
    frame = labels_save(video=video, frame_index=0, user=owner, version=0,
                        instances=[{"track": track, "points": _points(project)}])  # fmt: skip
    extra, _ = get_user_model().objects.get_or_create(username=f"extra-{project.id}")
    # Someone other than the reviewers labels and submits frame 10 (four-eyes review).
    labels_save(video=video, frame_index=10, user=extra, version=0,
                instances=[{"track": track, "points": _points(project, 3)}])  # fmt: skip
    submitted = review.frame_submit(video=video, frame_index=10, user=extra)
    member = Membership.objects.create(project=project, user=extra, role="viewer")
    pick_job = FramePickJob.objects.create(
        project=project, video=video, created_by=owner, method="uniform", count=3, seed=1
    )
    snapshot = snapshot_freeze(project=project, user=owner)
    node_names = list(project.nodes.order_by("position").values_list("name", flat=True))
    job = TrainingJob.objects.create(project=project, snapshot=snapshot, created_by=owner,
                                     preset="fast", config={}, status="succeeded")  # fmt: skip
    queued_job = TrainingJob.objects.create(project=project, snapshot=snapshot, created_by=owner,
                                            preset="fast", config={})  # fmt: skip
    queued_pretrain = PretrainJob.objects.create(project=project, created_by=owner,
                                                 config={"max_seconds": 5})  # fmt: skip
    root = Path(settings.MEDIA_ROOT)
    mdir = model_prefix(job)
    storage.save_bytes(f"{mdir}/config.json", json.dumps({"node_names": node_names}).encode())
    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(archive_bytes, "w") as archive:
        archive.writestr("README.txt", f"model of {project.name}")
    download = storage.save_bytes(f"{mdir}/download.zip", archive_bytes.getvalue())
    version = ModelVersion.objects.create(
        project=project, job=job, number=1, artifact_dir=mdir,
        download=download, config={"node_names": node_names},
        metrics={"rmse_px": 1.0},
    )  # fmt: skip
    run = InferenceRun.objects.create(project=project, model_version=version, video=video,
                                      created_by=owner, status="succeeded", render_video=False)  # fmt: skip
    rdir = root / "inference" / f"run-{run.id}"
    rdir.mkdir(parents=True, exist_ok=True)
    n, k = video.frame_count, len(node_names)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        points=np.full((n, k, 2), 40.0, dtype=np.float32),
        scores=np.full((n, k), 0.9, dtype=np.float32),
        frame_indices=np.arange(n, dtype=np.int64),
        meta=np.array(json.dumps({"node_names": node_names})),
    )
    (rdir / "predictions.npz").write_bytes(buffer.getvalue())
    run.predictions_file = str((rdir / "predictions.npz").relative_to(root))
    run.save(update_fields=["predictions_file"])
    suggestion = Suggestion.objects.create(run=run, video=video, frame_index=20, score=0.8)
    queued_run = InferenceRun.objects.create(project=project, model_version=version, video=video,
                                             created_by=owner, render_video=False)  # fmt: skip
    export_job = ImportExportJob.objects.create(uid=f"exp{project.id}", kind="export",
                                                created_by=owner, project=project,
                                                format="dlc", status="succeeded")  # fmt: skip
    export_job.result_file.save("export.zip", ContentFile(archive_bytes.getvalue()), save=True)
    import_job = ImportExportJob.objects.create(uid=f"imp{project.id}", kind="import",
                                                created_by=owner, project=project,
                                                format="zip", status="succeeded")  # fmt: skip
    lab = Lab(project, video, frame, submitted, member, pick_job, job, queued_job, version, run,
              suggestion, export_job, import_job)  # fmt: skip
    invitation, _ = invitation_create(project=project, role="viewer", created_by=owner)
    lab.ids = {
        "p": project.id, "v": video.id, "i": 0, "si": 10, "m": member.id, "pj": pick_job.id,
        "j": job.id, "qj": queued_job.id, "mv": version.id, "r": run.id, "s": suggestion.id,
        "ej": export_job.id, "ij": import_job.id, "qr": queued_run.id, "inv": invitation.id,
        "qpt": queued_pretrain.id, "lf": frame.id,
    }  # fmt: skip
    return lab


def make_other_lab(synthetic_path: Path) -> Lab:
    """Project B: owned by oscar; none of the test users is a member."""
    from django.contrib.auth import get_user_model

    from backend.projects.services import project_create, skeleton_update
    from backend.videos.services import video_create_from_path

    oscar = get_user_model().objects.create_user(username="oscar", password="oscar-password-1")
    project = project_create(name=f"{OTHER_MARK} lab", owner=oscar)
    project.description = OTHER_MARK
    project.save()
    skeleton_update(project=project, data={"nodes": [{"name": f"{OTHER_MARK}-nose"},
                                                     {"name": "tail"}], "edges": [], "symmetries": []})  # fmt: skip
    video = video_create_from_path(project=project, path=synthetic_path, name=f"{OTHER_MARK}.mp4")
    return make_lab(project, video, oscar, track=OTHER_MARK)
