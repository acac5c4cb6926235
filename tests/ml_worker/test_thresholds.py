"""The centroid threshold is chosen on validation detections, by F1, not by mAP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from ml_worker.thresholds import choose_centroid_threshold, detection_f1


@dataclass(frozen=True)
class _Geometry:
    centroid_threshold: float = 0.2


class _Module(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.geometry = _Geometry()


def _pose(x: float, y: float) -> np.ndarray:
    return np.array([[x, y], [x + 20, y], [x + 20, y + 20], [x, y + 20]], np.float32)


# one frame, two animals: the model is sure of one (0.9), unsure of the other (0.15),
# and reports a ghost (0.3) far from both
GT = np.stack([_pose(10, 10), _pose(200, 200)])[None]
VIS = np.full(GT.shape[:3], 2.0, np.float32)
CANDIDATES = [(_pose(10, 10), 0.9), (_pose(400, 50), 0.3), (_pose(200, 200), 0.15)]


def _predict(module: _Module) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kept = [(p, s) for p, s in CANDIDATES if s >= module.geometry.centroid_threshold]
    points = np.full((1, 3, 4, 2), np.nan, np.float32)
    scores = np.zeros((1, 3, 4), np.float32)
    instance_scores = np.zeros((1, 3), np.float32)
    for j, (p, s) in enumerate(kept):
        points[0, j], scores[0, j], instance_scores[0, j] = p, 1.0, s
    return points, scores, instance_scores


def test_threshold_with_best_f1_wins_and_the_module_is_left_as_it_was() -> None:
    module = _Module()
    best, table = choose_centroid_threshold(module, _predict, GT, VIS, list("abcd"),
                                            candidates=(0.1, 0.2, 0.4))
    by_t = {row["threshold"]: row for row in table}
    # 0.1: both animals and the ghost (F1 0.8); 0.2: one animal and the ghost (0.5);
    # 0.4: one animal only (0.67). F1 is not monotonic in the threshold, mAP would pick 0.1
    # for any data, which is why F1 chooses.
    assert by_t[0.1]["f1"] == 0.8 and by_t[0.2]["f1"] == 0.5 and by_t[0.4]["f1"] == 0.6667
    assert (by_t[0.1]["missed"], by_t[0.1]["spurious"]) == (0, 1)
    assert best == 0.1
    assert module.geometry.centroid_threshold == 0.2


def test_detection_f1_counts() -> None:
    assert detection_f1({"matched_instances": 3, "missed_instances": 1,
                         "spurious_instances": 0}) == 6 / 7
    assert detection_f1({"matched_instances": 0, "missed_instances": 0,
                         "spurious_instances": 0}) == 0.0
