"""A run's predictions as files other tools read: DLC CSV/H5, SLEAP .slp, NWB, labeled video.

The tabular files are made lazily, on the first request, from the run's
``.npz`` and cached beside it (``exports/``, written atomically), so runs nobody
downloads cost nothing. The labeled video is rendered by the inference task
itself (decoding a whole video is worker work); here it is only looked up.

- DLC: the table DeepLabCut's ``analyze_videos`` writes: columns
  ``(scorer, bodyparts, coords)`` with coords ``x``, ``y``, ``likelihood``, one
  row per frame index; the H5 holds the same frame under key ``df_with_missing``.
  With several instances per frame, or tracks, the multi-animal table instead:
  columns ``(scorer, individuals, bodyparts, coords)``, one individual per track
  name, and ``individual<n>`` for the n-th untracked instance slot.
- SLEAP: one PredictedInstance per found animal and frame (point scores, instance
  score, track) on the model's skeleton, pointing at the video by its file name.
- NWB: one ndx-pose ``PoseEstimation`` per track, laid out as SLEAP writes
  predictions (:func:`backend.interchange.formats.nwb.save_predictions`).

Edits made while proofreading rewrite the run's file, so every export carries the
corrected tracks.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from backend.common import storage
from backend.common.csvsafe import write_csv
from backend.common.exceptions import ApplicationError
from backend.inference.models import InferenceRun
from backend.inference.predictions import arrays_for, node_names
from ml_worker.poses import FramePoses

FORMATS = {
    "dlc-csv": ("csv", "text/csv"),
    "dlc-h5": ("h5", "application/x-hdf5"),
    "slp": ("slp", "application/octet-stream"),
    "nwb": ("nwb", "application/x-hdf5"),
    "video": ("mp4", "video/mp4"),
}


def scorer(run: InferenceRun) -> str:
    return f"PoseForge_project{run.project_id}_v{run.model_version.number}"


def download_name(run: InferenceRun, fmt: str, smoothed: bool) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(run.video.name).stem)[:60] or "video"
    suffix = "_smoothed" if smoothed else ""
    return f"{stem}_v{run.model_version.number}{suffix}.{FORMATS[fmt][0]}"


def dlc_table(run: InferenceRun, *, smoothed: bool = False):
    """The run as a DeepLabCut table: single-animal layout for one untracked instance."""
    import pandas as pd

    arrays = arrays_for(run, smoothed=smoothed)
    names = node_names(run.model_version)
    index = pd.Index(arrays["frame_indices"].astype(np.int64))
    values, individuals = _dlc_values(arrays)  # (F, N, K, 3)
    f, n, k = values.shape[:3]
    if individuals is None:
        columns = pd.MultiIndex.from_product(
            [[scorer(run)], names, ["x", "y", "likelihood"]],
            names=["scorer", "bodyparts", "coords"],
        )
    else:
        columns = pd.MultiIndex.from_product(
            [[scorer(run)], individuals, names, ["x", "y", "likelihood"]],
            names=["scorer", "individuals", "bodyparts", "coords"],
        )
    return pd.DataFrame(values.reshape(f, n * k * 3), index=index, columns=columns)


def _dlc_values(arrays: dict[str, Any]) -> tuple[np.ndarray, list[str] | None]:
    """``(F, N, K, 3)`` x, y, likelihood per individual column, and the column names
    (None: the single-animal layout, one untracked instance slot)."""
    points, scores = arrays["points"].astype(np.float64), arrays["scores"].astype(np.float64)
    tracks, names = arrays["track_ids"], list(arrays["meta"]["track_names"])
    f, i, k = scores.shape
    if i == 1 and not names and (tracks < 0).all():
        return np.concatenate([points, scores[..., None]], axis=-1), None
    # Untracked instances keep their slot: column len(names) + slot.
    column = np.where(tracks >= 0, tracks, len(names) + np.arange(i)[None, :])
    found = np.isfinite(points).all(-1).any(-1)  # (F, I); padding holds no point
    used_slots = sorted({int(c) - len(names) for c in column[(tracks < 0) & found]})
    keep = list(range(len(names))) + [len(names) + s for s in used_slots]
    values = np.full((f, len(names) + i, k, 3), np.nan)
    rows = np.repeat(np.arange(f), i)
    values[rows, column.ravel()] = np.concatenate([points, scores[..., None]], axis=-1).reshape(
        f * i, k, 3
    )
    return values[:, keep], names + [f"individual{s + 1}" for s in used_slots]


def _write_csv(run: InferenceRun, dest: Path, smoothed: bool) -> None:
    write_csv(dlc_table(run, smoothed=smoothed), dest)  # node names escaped for spreadsheets


def _write_h5(run: InferenceRun, dest: Path, smoothed: bool) -> None:
    dlc_table(run, smoothed=smoothed).to_hdf(dest, key="df_with_missing", format="table", mode="w")


def _write_slp(run: InferenceRun, dest: Path, smoothed: bool) -> None:
    import sleap_io as sio

    arrays = arrays_for(run, smoothed=smoothed)
    config = run.model_version.config
    names = node_names(run.model_version)
    skeleton = sio.Skeleton(
        names,
        edges=[(names[a], names[b]) for a, b in config.get("edges", [])],
        symmetries=[(names[a], names[b]) for a, b in config.get("symmetries", [])],
    )
    video = sio.Video(filename=run.video.name, open_backend=False)
    poses = arrays["poses"]
    tracks = {name: sio.Track(name) for name in poses.track_names}
    frames = []
    for row, index in enumerate(arrays["frame_indices"].tolist()):
        found = poses.frame(row)
        if not found.num_instances:
            continue
        instances = [_slp_instance(found, i, skeleton, tracks) for i in range(found.num_instances)]
        frames.append(sio.LabeledFrame(video=video, frame_idx=index, instances=instances))
    labels = sio.Labels(
        labeled_frames=frames, videos=[video], skeletons=[skeleton], tracks=list(tracks.values())
    )
    sio.save_slp(labels, str(dest))


def _slp_instance(found: FramePoses, i: int, skeleton: Any, tracks: dict[str, Any]) -> Any:
    """Instance ``i`` of a frame; its score is the model's, else the mean point score."""
    import sleap_io as sio

    assert found.scores is not None and found.instance_scores is not None
    scores = found.scores[i].astype(np.float64)
    score = float(found.instance_scores[i])
    if not np.isfinite(score):
        score = float(np.nanmean(scores)) if np.isfinite(scores).any() else 0.0
    return sio.PredictedInstance.from_numpy(
        found.points[i].astype(np.float64),
        skeleton,
        point_scores=np.nan_to_num(scores),
        score=score,
        track=tracks.get(found.tracks[i] or ""),
    )


def _write_nwb(run: InferenceRun, dest: Path, smoothed: bool) -> None:
    from backend.interchange.formats.nwb import RunPredictions, save_predictions

    arrays = arrays_for(run, smoothed=smoothed)
    video = run.video
    edges = run.model_version.config.get("edges", [])
    save_predictions(
        RunPredictions(
            poses=arrays["poses"],
            frame_indices=arrays["frame_indices"],
            nodes=node_names(run.model_version),
            edges=[(int(a), int(b)) for a, b in edges],
            video_name=video.name,
            fps=video.fps,
            width=video.width,
            height=video.height,
            frame_count=video.frame_count,
            scorer=scorer(run),
        ),
        dest,
    )


WRITERS: dict[str, Callable[[InferenceRun, Path, bool], None]] = {
    "dlc-csv": _write_csv,
    "dlc-h5": _write_h5,
    "slp": _write_slp,
    "nwb": _write_nwb,
}


def export_key(*, run: InferenceRun, fmt: str, smoothed: bool = False) -> str:
    """Storage key of the export file of ``run`` in ``fmt``, made now if it does not exist yet."""
    from backend.inference.services import run_prefix

    if fmt not in FORMATS:
        raise ApplicationError(f"Unknown export format {fmt!r}; use {', '.join(FORMATS)}.")
    if run.status != InferenceRun.Status.SUCCEEDED:
        raise ApplicationError("Only a run that succeeded can be exported.")
    if fmt == "video":
        return _labeled_video(run)
    # "v2": files cached before CSV cells were escaped for spreadsheets are not served again.
    # The tracks version: an export made from a file an edit just replaced is never served.
    name = download_name(run, fmt, smoothed)
    key = f"{run_prefix(run)}/exports/v2/t{run.tracks_version}/{name}"
    if not storage.exists(key):
        with tempfile.TemporaryDirectory(prefix="poseforge-export-") as tmp:
            dest = Path(tmp) / download_name(run, fmt, smoothed)
            WRITERS[fmt](run, dest, smoothed)
            storage.save_file(key, dest)
    return key


def _labeled_video(run: InferenceRun) -> str:
    if not run.video_file or not storage.exists(run.video_file):
        why = run.summary.get("video_error") or "it was not rendered for this run"
        raise ApplicationError(f"The labeled video is not available: {why}.", status_code=404)
    return run.video_file
