"""The centroid threshold and minimum distance are chosen on validation detections, by F1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from ml_worker.thresholds import choose_detection, detection_f1


@dataclass(frozen=True)
class _Geometry:
    centroid_threshold: float = 0.2
    centroid_min_distance_px: float = 10.0
    animal_radius_px: float = 100.0


class _Module(nn.Module):
    def __init__(self, geometry: _Geometry) -> None:
        super().__init__()
        self.geometry = geometry


def _pose(x: float, y: float) -> np.ndarray:
    return np.array([[x, y], [x + 20, y], [x + 20, y + 20], [x, y + 20]], np.float32)


# one frame, two animals: the model is sure of one (0.9), unsure of the other (0.15),
# and reports a ghost (0.3) far from both
GT = np.stack([_pose(10, 10), _pose(200, 200)])[None]
VIS = np.full(GT.shape[:3], 2.0, np.float32)
CANDIDATES = [(_pose(10, 10), 0.9), (_pose(400, 50), 0.3), (_pose(200, 200), 0.15)]


def _predict(module: _Module) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = module.geometry
    kept = [(p, s) for p, s in CANDIDATES if s >= g.centroid_threshold]
    if g.centroid_min_distance_px > 300:  # a wide suppression swallows the second animal
        kept = [(p, s) for p, s in kept if s != 0.15]
    points = np.full((1, 3, 4, 2), np.nan, np.float32)
    scores = np.zeros((1, 3, 4), np.float32)
    instance_scores = np.zeros((1, 3), np.float32)
    for j, (p, s) in enumerate(kept):
        points[0, j], scores[0, j], instance_scores[0, j] = p, 1.0, s
    return points, scores, instance_scores


def test_threshold_and_distance_with_best_f1_win() -> None:
    built: list[_Geometry] = []

    def build(g: _Geometry) -> _Module:
        built.append(g)
        return _Module(g)

    geometry, table = choose_detection(_Geometry(), build, _predict, GT, VIS, list("abcd"),
                                       thresholds=(0.1, 0.2, 0.4), distance_factors=(0.5, 4.0))
    near = {row["threshold"]: row for row in table if row["min_distance_px"] == 50.0}
    # 0.1: both animals and the ghost (F1 0.8); 0.2: one animal and the ghost (0.5);
    # 0.4: one animal only (0.67). F1 is not monotonic in the threshold; mAP would pick 0.1
    # on any data, which is why F1 chooses.
    assert near[0.1]["f1"] == 0.8 and near[0.2]["f1"] == 0.5 and near[0.4]["f1"] == 0.6667
    assert (near[0.1]["missed"], near[0.1]["spurious"]) == (0, 1)
    far = {row["threshold"]: row for row in table if row["min_distance_px"] == 400.0}
    assert far[0.1]["f1"] == 0.5  # the second animal suppressed
    assert (geometry.centroid_threshold, geometry.centroid_min_distance_px) == (0.1, 50.0)
    assert len(built) == len(table) == 6


def test_no_match_anywhere_keeps_the_configured_decoding() -> None:
    far_away = np.full_like(GT, 5000.0)
    geometry, table = choose_detection(_Geometry(), _Module, _predict, far_away, VIS,
                                       list("abcd"), thresholds=(0.1, 0.4))
    assert all(row["f1"] == 0 for row in table)
    assert geometry == _Geometry()


def test_detection_f1_counts() -> None:
    assert detection_f1({"matched_instances": 3, "missed_instances": 1,
                         "spurious_instances": 0}) == 6 / 7
    assert detection_f1({"matched_instances": 0, "missed_instances": 0,
                         "spurious_instances": 0}) == 0.0
