"""Choose how a multi-animal top-down model decides what is an animal, on validation frames.

A fixed centroid threshold is wrong for every data set in a different way: a
model that trained ten minutes on 1920x1080 birds peaks at 0.4 where one
trained on flies peaks at 0.9, and a threshold above the peaks finds no animal
at all. Likewise the minimum distance between two animals: half an animal
length keeps one fly of a touching pair. Both decide which animals exist, so
they are chosen like a checkpoint: on the validation frames only (never the
test frames), as the pair whose detections best agree with the labels (F1 of
instances matched at OKS >= 0.5 with sigma 0.1; mAP cannot choose them, since
extra low-scoring detections never lower AP).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from torch import nn

from ml_worker.metrics_multi import evaluate

THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6)
# minimum distance between two animals' anchors, in animal radii
DISTANCE_FACTORS = (0.25, 0.5)
# OKS sigma for "this detection is that animal": DeepLabCut's 0.1, looser than the 0.025 the
# reported mAP uses, so the choice answers whether an animal was found, not how precisely
# its keypoints sit (a young model's keypoints would otherwise make every detection "spurious")
DETECTION_SIGMA = 0.1

Predict = Callable[[nn.Module], tuple[np.ndarray, np.ndarray, np.ndarray]]


def detection_f1(metrics: dict[str, Any]) -> float:
    """F1 of instance detection: 2 matched / (2 matched + missed + spurious)."""
    matched = metrics.get("matched_instances") or 0
    wrong = (metrics.get("missed_instances") or 0) + (metrics.get("spurious_instances") or 0)
    return 2 * matched / (2 * matched + wrong) if matched or wrong else 0.0


def choose_detection(
    geometry: Any,
    build: Callable[[Any], nn.Module],
    predict: Predict,
    gt_points: np.ndarray,
    gt_visibility: np.ndarray,
    node_names: Sequence[str],
    thresholds: Sequence[float] = THRESHOLDS,
    distance_factors: Sequence[float] = DISTANCE_FACTORS,
) -> tuple[Any, list[dict[str, float]]]:
    """The centroid threshold and minimum distance with the best detection F1.

    Args:
        geometry: the model's :class:`ml_worker.pipeline.Geometry` (frozen dataclass).
        build: a model for a geometry (the trained nets, only the decoding differs).
        predict: runs a model on the validation frames, returning ``points``,
            ``scores`` and ``instance_scores`` as :func:`metrics_multi.evaluate` takes them.
        gt_points, gt_visibility: validation labels ``(F, J, K, 2)``, ``(F, J, K)``.
        node_names: K node names.
        thresholds: centroid thresholds to try.
        distance_factors: minimum anchor distances to try, in animal radii.

    Returns:
        The geometry with the chosen pair (ties go to the lower threshold, which
        misses fewer animals, then to the larger distance; unchanged when no setting
        matched a single animal) and one row per pair
        (threshold, min_distance_px, f1, map_oks, missed, spurious).
    """
    table: list[dict[str, float]] = []
    for factor in sorted(distance_factors, reverse=True):
        for t in sorted(thresholds):
            g = replace(geometry, centroid_threshold=float(t),
                        centroid_min_distance_px=float(factor * geometry.animal_radius_px))
            m = evaluate(*predict(build(g)), gt_points, gt_visibility, node_names,
                         sigma=DETECTION_SIGMA)
            table.append({"threshold": float(t), "min_distance_px": g.centroid_min_distance_px,
                          "f1": round(detection_f1(m), 4), "map_oks": m["map_oks"],
                          "missed": m["missed_instances"], "spurious": m["spurious_instances"]})
    best = max(enumerate(table),
               key=lambda r: (r[1]["f1"], r[1]["map_oks"] or 0.0, -r[0]))[1]
    if best["f1"] == 0:  # nothing matched at any setting: no evidence to move the defaults
        return geometry, table
    return replace(geometry, centroid_threshold=best["threshold"],
                   centroid_min_distance_px=best["min_distance_px"]), table
