"""Which labeled instances an accepted prediction replaces.

Accepting a suggestion adds the predicted animals to the frame without touching
what people labeled there. An accepted instance replaces at most one existing
instance, and only a MODEL-source one (an earlier accepted prediction, never a
human's work):

1. the model instance with the same track, when the accepted instance has one;
2. otherwise the nearest model instance by centroid, if that is closer than an
   animal size (the larger bounding-box diagonal of the two) and their tracks do
   not disagree (one of them has none).

Accepted instances are matched in order, each existing instance at most once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ml_worker.poses import from_stored

MODEL = "model"


def replaced_instances(
    existing: Sequence[Mapping[str, Any]], accepted: Sequence[Mapping[str, Any]]
) -> set[int]:
    """Indices into ``existing`` (stored instances) that ``accepted`` ones replace."""
    nodes = {p["node"] for inst in [*existing, *accepted] for p in inst.get("points", [])}
    index = {node: col for col, node in enumerate(sorted(nodes))}
    old, new = from_stored(existing, index), from_stored(accepted, index)
    old_c, old_size = _centroids(old.points), _sizes(old.points)
    new_c, new_size = _centroids(new.points), _sizes(new.points)
    free = [i for i, inst in enumerate(existing) if inst.get("source") == MODEL]
    taken: set[int] = set()
    for a, inst in enumerate(accepted):
        track = inst.get("track")
        same = [i for i in free if track is not None and existing[i].get("track") == track]
        if not same:
            near = [i for i in free if track is None or existing[i].get("track") is None]
            dist = {i: float(np.linalg.norm(old_c[i] - new_c[a])) for i in near}
            same = [
                i for i in sorted(near, key=dist.__getitem__)
                if dist[i] < max(old_size[i], new_size[a])
            ]  # fmt: skip
        if same:
            taken.add(same[0])
            free.remove(same[0])
    return taken


def _centroids(points: np.ndarray) -> np.ndarray:
    """``(I, K, 2)`` -> ``(I, 2)`` mean of the present points (NaN for none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an instance with no point: NaN
        return np.nanmean(points, axis=1)


def _sizes(points: np.ndarray) -> np.ndarray:
    """``(I, K, 2)`` -> ``(I,)`` bounding-box diagonal of the present points (0 for < 2)."""
    if points.shape[1] == 0:
        return np.zeros(len(points))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diag = np.linalg.norm(np.nanmax(points, axis=1) - np.nanmin(points, axis=1), axis=-1)
    return np.nan_to_num(diag, nan=0.0)
