"""Reading a run's predictions for the API, and mapping model nodes to project nodes.

A model version knows its nodes by name (``config["node_names"]``, the skeleton
it was trained on); the project's skeleton may have changed since. Points are
mapped to the project's current nodes by name, and nodes no longer present are
skipped. Files are read with numpy alone (no torch in the web process) and the
last few are kept in memory, since the labeling workspace asks frame by frame.

Every frame holds a list of instances (animals), each with its track name (or
None), its instance score and its points; the conversion from the file's
``(F, I, K, 2)`` arrays is :mod:`ml_worker.poses`, padding instances dropped.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.http import Http404

from backend.common import storage
from backend.common.exceptions import ApplicationError
from backend.inference.models import InferenceRun
from backend.training.models import ModelVersion
from ml_worker.poses import FramePoses, PoseArrays, from_predictions, to_stored

MAX_FRAMES_PER_REQUEST = 1000


def node_names(version: ModelVersion) -> list[str]:
    return list(version.config.get("node_names", []))


def node_ids_for(version: ModelVersion) -> list[int | None]:
    """For each model node, the project's node id with the same name (None if gone)."""
    ids = dict(version.project.nodes.values_list("name", "id"))
    return [ids.get(name) for name in node_names(version)]


@lru_cache(maxsize=8)
def _arrays(path: str, version: str) -> dict[str, Any]:
    from ml_worker.inference_run import read_prediction_arrays

    arrays = read_prediction_arrays(Path(path))
    arrays["poses"] = from_predictions(
        arrays["points"],
        arrays["scores"],
        instance_scores=arrays["instance_scores"],
        track_ids=arrays["track_ids"],
        track_names=arrays["meta"]["track_names"],
    )
    return arrays


def arrays_for(run: InferenceRun, *, smoothed: bool = False) -> dict[str, Any]:
    """The run's arrays; 404 while it has none, 400 for smoothed points it never made."""
    name = run.smoothed_file if smoothed else run.predictions_file
    if smoothed and run.predictions_file and not run.smoothed_file:
        raise ApplicationError("This run was not smoothed.")
    if not name or not storage.exists(name):
        raise Http404
    return _arrays(str(storage.local_path(name)), storage.etag(name))


def _row_of(arrays: dict[str, Any], frame_index: int) -> int | None:
    indices = arrays["frame_indices"]
    row = int(np.searchsorted(indices, frame_index))
    return row if row < len(indices) and indices[row] == frame_index else None


def _num(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def frames_range(
    run: InferenceRun, *, start: int, stop: int | None, smoothed: bool = False
) -> dict[str, Any]:
    """``{node_names, node_ids, frames: [{frame_index, instances}]}`` for [start, stop).

    Each instance is ``{track, score, points}`` with one ``[x, y, score]`` per model
    node, or null where that node was not found.
    """
    arrays = arrays_for(run, smoothed=smoothed)
    stop = start + MAX_FRAMES_PER_REQUEST if stop is None else stop
    if start < 0 or stop <= start:
        raise ApplicationError("Ask for 0 <= start < stop.")
    stop = min(stop, start + MAX_FRAMES_PER_REQUEST)
    indices = arrays["frame_indices"]
    rows = range(int(np.searchsorted(indices, start)), int(np.searchsorted(indices, stop)))
    poses: PoseArrays = arrays["poses"]
    frames = [
        {"frame_index": int(indices[r]), "instances": _range_instances(poses.frame(r))}
        for r in rows
    ]
    return {
        "run": run.id,
        "model_version": run.model_version.number,
        "smoothed": smoothed,
        "node_names": node_names(run.model_version),
        "node_ids": node_ids_for(run.model_version),
        "start": start,
        "stop": stop,
        "frames": frames,
    }


def _range_instances(poses: FramePoses) -> list[dict[str, Any]]:
    assert poses.scores is not None and poses.instance_scores is not None
    return [
        {
            "track": poses.tracks[i],
            "score": _num(poses.instance_scores[i]),
            "points": [
                None if not math.isfinite(x) else [_num(x), _num(y), _num(s)]
                for (x, y), s in zip(poses.points[i].tolist(), poses.scores[i].tolist(), strict=True)
            ],
        }
        for i in range(poses.num_instances)
    ]


def frame_instances(
    run: InferenceRun, frame_index: int, *, smoothed: bool = False
) -> list[dict[str, Any]]:
    """One frame's predicted instances on the project's current nodes.

    ``[{track, score, points: [{node, x, y, score}]}]``; instances left without a
    point (every node renamed away) are dropped.
    """
    arrays = arrays_for(run, smoothed=smoothed)
    row = _row_of(arrays, frame_index)
    if row is None:
        raise ApplicationError(
            f"Run {run.id} has no prediction for frame {frame_index}.", status_code=404
        )
    stored = to_stored(
        arrays["poses"].frame(row), node_ids_for(run.model_version), source="model",
        with_scores=True,
    )  # fmt: skip
    return [
        {
            "track": inst["track"],
            "score": inst["score"],
            "points": [{k: p[k] for k in ("node", "x", "y", "score")} for p in inst["points"]],
        }
        for inst in stored
    ]


def no_prediction(frame_index: int) -> dict[str, Any]:
    """What a frame of a video that no model has run on yet answers."""
    return {"run": None, "model_version": None, "frame_index": frame_index, "instances": []}


def frame_prediction(run: InferenceRun, frame_index: int) -> dict[str, Any]:
    version = run.model_version
    return {
        "run": run.id,
        "model_version": {"id": version.id, "number": version.number},
        "frame_index": frame_index,
        "instances": frame_instances(run, frame_index),
    }
