"""Accepting proofread predictions as labels, to train on them.

For each frame asked for, the run's instances (with their corrected track names)
are added as model-source instances along the path a suggestion takes
(:mod:`backend.inference.suggestions`): people's instances are never touched, an
earlier model instance of the same animal is replaced
(:mod:`backend.inference.matching`), and the frame's history row records the
provenance ``{run, model_version, tracks_version, proofread_by, by}``. A
predicted instance whose track a person's instance on the frame already carries
is left out: the person's label wins. All frames are saved in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from backend.common.exceptions import ApplicationError
from backend.inference.models import InferenceRun
from backend.inference.predictions import arrays_for, frame_instances
from backend.inference.proofread import frames_edited_by
from backend.inference.suggestions import _check_room, _kept, _record_provenance
from backend.labels.models import Instance, LabeledFrame
from backend.labels.services import instance_to_dict, labeled_frame_get, labels_save

MAX_FRAMES = 500


def accept_frames(*, run: InferenceRun, frames: list[int] | None, start: int | None,
                  stop: int | None) -> list[int]:  # fmt: skip
    """The predicted frames asked for (a list, or the range [start, stop)), sorted."""
    predicted = arrays_for(run)["frame_indices"]
    if frames is None:
        if start is None or stop is None or not 0 <= start < stop:
            raise ApplicationError("Send frames, or 0 <= start < stop.")
        frames = [int(f) for f in predicted[(predicted >= start) & (predicted < stop)]]
    else:
        missing = sorted(set(frames) - set(predicted.tolist()))
        if missing:
            raise ApplicationError(f"The run has no prediction for frame {missing[0]}.")
    if len(frames) > MAX_FRAMES:
        raise ApplicationError(f"Accept at most {MAX_FRAMES} frames at a time.")
    return sorted(set(frames))


def tracks_accept(*, run: InferenceRun, user: Any, frames: list[int]) -> dict[str, Any]:
    """Add the run's instances on ``frames`` as labels; ``{accepted, skipped}``."""
    if run.status != InferenceRun.Status.SUCCEEDED:
        raise ApplicationError("Only a run that succeeded can be accepted as labels.")
    accepted, skipped = [], []
    with transaction.atomic():
        for frame_index in frames:
            frame, why = _accept_frame(run, user, frame_index)
            if frame is None:
                skipped.append({"frame_index": frame_index, "reason": why})
            else:
                accepted.append({"frame_index": frame_index, "labeled_frame": frame.id,
                                 "version": frame.version})  # fmt: skip
    return {"accepted": accepted, "skipped": skipped}


def _accept_frame(run: InferenceRun, user: Any, frame_index: int) -> tuple[LabeledFrame | None, str]:
    current = labeled_frame_get(video=run.video, frame_index=frame_index)
    existing = [instance_to_dict(i) for i in current.instances.all()] if current else []
    human_tracks = {i["track"] for i in existing if i["source"] == Instance.Source.HUMAN}
    predicted = [
        {"track": inst["track"], "source": Instance.Source.MODEL,
         "points": [{**p, "visibility": 2} for p in inst["points"]]}
        for inst in frame_instances(run, frame_index)
        if inst["points"] and (inst["track"] is None or inst["track"] not in human_tracks)
    ]  # fmt: skip
    if not predicted:
        return None, "no predicted instance to add (or people labeled every track here)"
    kept = _kept(current, predicted)
    try:
        _check_room(run.project, kept, predicted)
        with transaction.atomic():  # a savepoint: a frame that cannot be saved is skipped
            frame = labels_save(video=run.video, frame_index=frame_index, user=user,
                                version=current.version if current else 0,
                                instances=kept + predicted)  # fmt: skip
            _record_provenance(frame, kept + predicted, len(kept), _provenance(run, user, frame_index))
            row = frame.history.exclude(action="reopen").order_by("-id").first()
            row.action = "accept_proofread"
            row.save(update_fields=["action"])
    except ApplicationError as exc:
        return None, exc.message
    return frame, ""


def _provenance(run: InferenceRun, user: Any, frame_index: int) -> dict[str, Any]:
    version = run.model_version
    return {
        "run": run.id,
        "model_version": version.id,
        "model_version_number": version.number,
        "tracks_version": run.tracks_version,
        "proofread_by": frames_edited_by(run=run, frame_index=frame_index),
        "by": user.username,
        "note": f"from model v{version.number}, proofread tracks accepted by {user.username}",
    }
