"""Reading a run's predictions for the API, and mapping model nodes to project nodes.

A model version knows its nodes by name (``config["node_names"]``, the skeleton
it was trained on); the project's skeleton may have changed since. Points are
mapped to the project's current nodes by name, and nodes no longer present are
skipped. Files are read with numpy alone (no torch in the web process) and the
last few are kept in memory, since the labeling workspace asks frame by frame.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.http import Http404

from backend.common.exceptions import ApplicationError
from backend.inference.models import InferenceRun
from backend.training.models import ModelVersion

MAX_FRAMES_PER_REQUEST = 1000


def node_names(version: ModelVersion) -> list[str]:
    return list(version.config.get("node_names", []))


def node_ids_for(version: ModelVersion) -> list[int | None]:
    """For each model node, the project's node id with the same name (None if gone)."""
    ids = dict(version.project.nodes.values_list("name", "id"))
    return [ids.get(name) for name in node_names(version)]


@lru_cache(maxsize=8)
def _arrays(path: str, mtime: float) -> dict[str, Any]:
    from ml_worker.inference_run import read_prediction_arrays

    return read_prediction_arrays(Path(path))


def arrays_for(run: InferenceRun, *, smoothed: bool = False) -> dict[str, Any]:
    """The run's arrays; 404 while it has none, 400 for smoothed points it never made."""
    name = run.smoothed_file if smoothed else run.predictions_file
    if smoothed and run.predictions_file and not run.smoothed_file:
        raise ApplicationError("This run was not smoothed.")
    path = Path(settings.MEDIA_ROOT) / name
    if not name or not path.is_file():
        raise Http404
    return _arrays(str(path), path.stat().st_mtime)


def _row_of(arrays: dict[str, Any], frame_index: int) -> int | None:
    indices = arrays["frame_indices"]
    row = int(np.searchsorted(indices, frame_index))
    return row if row < len(indices) and indices[row] == frame_index else None


def _num(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def frames_range(
    run: InferenceRun, *, start: int, stop: int | None, smoothed: bool = False
) -> dict[str, Any]:
    """``{node_names, frames: [{frame_index, points: [[x, y, score], ...]}]}`` for [start, stop)."""
    arrays = arrays_for(run, smoothed=smoothed)
    stop = start + MAX_FRAMES_PER_REQUEST if stop is None else stop
    if start < 0 or stop <= start:
        raise ApplicationError("Ask for 0 <= start < stop.")
    stop = min(stop, start + MAX_FRAMES_PER_REQUEST)
    indices = arrays["frame_indices"]
    rows = range(int(np.searchsorted(indices, start)), int(np.searchsorted(indices, stop)))
    points, scores = arrays["points"], arrays["scores"]
    frames = [
        {
            "frame_index": int(indices[r]),
            "points": [
                [_num(x), _num(y), _num(s)]
                for (x, y), s in zip(points[r].tolist(), scores[r].tolist(), strict=True)
            ],
        }
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


def frame_points(
    run: InferenceRun, frame_index: int, *, smoothed: bool = False
) -> list[dict[str, Any]]:
    """One frame's prediction as ``[{node, x, y, score}]`` on the project's current nodes."""
    arrays = arrays_for(run, smoothed=smoothed)
    row = _row_of(arrays, frame_index)
    if row is None:
        raise ApplicationError(
            f"Run {run.id} has no prediction for frame {frame_index}.", status_code=404
        )
    out = []
    for node, (x, y), score in zip(
        node_ids_for(run.model_version),
        arrays["points"][row].tolist(),
        arrays["scores"][row].tolist(),
        strict=True,
    ):
        if node is not None and math.isfinite(x) and math.isfinite(y):
            out.append({"node": node, "x": float(x), "y": float(y), "score": _num(score)})
    return out


def no_prediction(frame_index: int) -> dict[str, Any]:
    """What a frame of a video that no model has run on yet answers."""
    return {"run": None, "model_version": None, "frame_index": frame_index, "points": []}


def frame_prediction(run: InferenceRun, frame_index: int) -> dict[str, Any]:
    version = run.model_version
    return {
        "run": run.id,
        "model_version": {"id": version.id, "number": version.number},
        "frame_index": frame_index,
        "points": frame_points(run, frame_index),
    }
