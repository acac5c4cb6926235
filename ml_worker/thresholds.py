"""Choose the centroid threshold of a multi-animal top-down model on validation frames.

A fixed threshold is wrong for every data set in a different way: a model that
trained ten minutes on 1920x1080 birds peaks at 0.4 where one trained on flies
peaks at 0.9, and a threshold above the peaks finds no animal at all. The
threshold decides which animals exist, so it is chosen like a checkpoint: on
the validation frames only (never the test frames), as the one whose
detections best agree with the labels (F1 of instances matched at OKS >= 0.5 with
sigma 0.1;
mAP cannot choose it, since extra low-scoring detections never lower AP).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from torch import nn

from ml_worker.metrics_multi import evaluate

CANDIDATES = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6)
# OKS sigma for "this detection is that animal": DeepLabCut's 0.1, looser than the 0.025 the
# reported mAP uses, so the threshold answers whether an animal was found, not how precisely
# its keypoints sit (a young model's keypoints would otherwise make every detection "spurious")
DETECTION_SIGMA = 0.1

Predict = Callable[[nn.Module], tuple[np.ndarray, np.ndarray, np.ndarray]]


def detection_f1(metrics: dict[str, Any]) -> float:
    """F1 of instance detection: 2 matched / (2 matched + missed + spurious)."""
    matched = metrics.get("matched_instances") or 0
    wrong = (metrics.get("missed_instances") or 0) + (metrics.get("spurious_instances") or 0)
    return 2 * matched / (2 * matched + wrong) if matched or wrong else 0.0


def choose_centroid_threshold(
    module: nn.Module,
    predict: Predict,
    gt_points: np.ndarray,
    gt_visibility: np.ndarray,
    node_names: Sequence[str],
    candidates: Sequence[float] = CANDIDATES,
) -> tuple[float, list[dict[str, float]]]:
    """The candidate threshold with the best detection F1 on the validation frames.

    Args:
        module: a built top-down model (its ``geometry`` is replaced per candidate).
        predict: runs the module on the validation frames, returning ``points``,
            ``scores`` and ``instance_scores`` as :func:`metrics_multi.evaluate` takes them.
        gt_points, gt_visibility: validation labels ``(F, J, K, 2)``, ``(F, J, K)``.
        node_names: K node names.
        candidates: thresholds to try.

    Returns:
        The chosen threshold (ties go to the lower one, which misses fewer animals)
        and one row per candidate (threshold, f1, map_oks, missed, spurious).
    """
    original = module.geometry
    table: list[dict[str, float]] = []
    try:
        for t in sorted(candidates):
            module.geometry = replace(original, centroid_threshold=float(t))
            m = evaluate(*predict(module), gt_points, gt_visibility, node_names,
                         sigma=DETECTION_SIGMA)
            table.append({"threshold": float(t), "f1": round(detection_f1(m), 4),
                          "map_oks": m["map_oks"], "missed": m["missed_instances"],
                          "spurious": m["spurious_instances"]})
    finally:
        module.geometry = original
    best = max(table, key=lambda row: (row["f1"], row["map_oks"] or 0.0, -row["threshold"]))
    return best["threshold"], table
