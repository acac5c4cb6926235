"""A run's predictions as files other tools read: DeepLabCut CSV/H5, SLEAP .slp, labeled video.

The tabular files are made lazily, on the first request, from the run's
``.npz`` and cached beside it (``exports/``, written atomically), so runs nobody
downloads cost nothing. The labeled video is rendered by the inference task
itself (decoding a whole video is worker work); here it is only looked up.

- DLC: the table DeepLabCut's ``analyze_videos`` writes: columns
  ``(scorer, bodyparts, coords)`` with coords ``x``, ``y``, ``likelihood``, one
  row per frame index; the H5 holds the same frame under key ``df_with_missing``.
- SLEAP: one PredictedInstance per frame (point scores and instance score = mean
  point score) on the model's skeleton, pointing at the video by its file name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.conf import settings

from backend.common.csvsafe import write_csv
from backend.common.exceptions import ApplicationError
from backend.inference.models import InferenceRun
from backend.inference.predictions import arrays_for, node_names

FORMATS = {
    "dlc-csv": ("csv", "text/csv"),
    "dlc-h5": ("h5", "application/x-hdf5"),
    "slp": ("slp", "application/octet-stream"),
    "video": ("mp4", "video/mp4"),
}


def scorer(run: InferenceRun) -> str:
    return f"PoseForge_project{run.project_id}_v{run.model_version.number}"


def download_name(run: InferenceRun, fmt: str, smoothed: bool) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(run.video.name).stem)[:60] or "video"
    suffix = "_smoothed" if smoothed else ""
    return f"{stem}_v{run.model_version.number}{suffix}.{FORMATS[fmt][0]}"


def dlc_table(run: InferenceRun, *, smoothed: bool = False):
    import pandas as pd

    arrays = arrays_for(run, smoothed=smoothed)
    names = node_names(run.model_version)
    points, scores = arrays["points"].astype(np.float64), arrays["scores"].astype(np.float64)
    values = np.concatenate([points, scores[..., None]], axis=-1)  # (F, K, 3)
    columns = pd.MultiIndex.from_product(
        [[scorer(run)], names, ["x", "y", "likelihood"]], names=["scorer", "bodyparts", "coords"]
    )
    index = pd.Index(arrays["frame_indices"].astype(np.int64))
    return pd.DataFrame(values.reshape(len(values), -1), index=index, columns=columns)


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
    frames = []
    for index, points, scores in zip(
        arrays["frame_indices"].tolist(), arrays["points"], arrays["scores"], strict=True
    ):
        if not np.isfinite(points).any():
            continue
        instance = sio.PredictedInstance.from_numpy(
            points.astype(np.float64),
            skeleton,
            point_scores=np.nan_to_num(scores.astype(np.float64)),
            score=float(np.nanmean(scores)) if np.isfinite(scores).any() else 0.0,
        )
        frames.append(sio.LabeledFrame(video=video, frame_idx=index, instances=[instance]))
    labels = sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton])
    sio.save_slp(labels, str(dest))


WRITERS: dict[str, Callable[[InferenceRun, Path, bool], None]] = {
    "dlc-csv": _write_csv,
    "dlc-h5": _write_h5,
    "slp": _write_slp,
}


def export_path(*, run: InferenceRun, fmt: str, smoothed: bool = False) -> Path:
    """The export file of ``run`` in ``fmt``, made now if it does not exist yet."""
    from backend.inference.services import run_dir

    if fmt not in FORMATS:
        raise ApplicationError(f"Unknown export format {fmt!r}; use {', '.join(FORMATS)}.")
    if run.status != InferenceRun.Status.SUCCEEDED:
        raise ApplicationError("Only a run that succeeded can be exported.")
    if fmt == "video":
        return _labeled_video(run)
    # "v2": files cached before CSV cells were escaped for spreadsheets are not served again.
    dest = run_dir(run) / "exports" / "v2" / download_name(run, fmt, smoothed)
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".tmp-{os.getpid()}-{dest.name}")
        WRITERS[fmt](run, tmp, smoothed)
        os.replace(tmp, dest)
    return dest


def _labeled_video(run: InferenceRun) -> Path:
    path = Path(settings.MEDIA_ROOT) / run.video_file
    if not run.video_file or not path.is_file():
        why = run.summary.get("video_error") or "it was not rendered for this run"
        raise ApplicationError(f"The labeled video is not available: {why}.", status_code=404)
    return path
