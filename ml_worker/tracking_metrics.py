"""How well tracks follow identities: CLEAR-MOT (MOTA, identity switches) and IDF1.

Ground truth and predictions are poses with ids: ``(F, J, K, 2)`` + ``(F, J)``
and ``(F, I, K, 2)`` + ``(F, I)``; an instance takes part when its id is >= 0 and
it has a finite point (predictions the tracker left at -1 are not hypotheses).
A ground-truth and a predicted instance *can match* in a frame when they are
close enough: OKS over the nodes both have (:func:`ml_worker.tracking.similarity.oks`,
one ``sigma``, the ground truth's box as the scale; a prediction is not blamed
for nodes hidden under another animal) at least ``oks_threshold``, or, with ``match="centroid"``, their mean found
points at most ``max_distance_px`` apart.

* **CLEAR-MOT** (Bernardin & Stiefelhagen 2008, as py-motmetrics does it):
  per frame, last frame's pairs that can still match are kept, the rest are
  paired by the Hungarian algorithm (best similarity). A ground-truth animal
  paired with another track than it was last paired with is an *identity
  switch*. ``MOTA = 1 - (misses + false positives + switches) / GT instances``.
* **IDF1** (Ristani et al. 2016): one global one-to-one assignment of track
  ids to identities maximising the frames in which they can match (identity
  true positives, IDTP); ``IDF1 = 2 IDTP / (GT instances + predicted instances)``.

Pure numpy + scipy.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from ml_worker.tracking.similarity import oks

Match = Literal["oks", "centroid"]


def tracking_metrics(gt_points: np.ndarray, gt_ids: np.ndarray, pred_points: np.ndarray,
                     pred_ids: np.ndarray, *, match: Match = "oks", sigma: float = 0.1,
                     oks_threshold: float = 0.5,
                     max_distance_px: float = 20.0) -> dict[str, Any]:
    """CLEAR-MOT and IDF1 of predicted tracks against ground-truth identities.

    Returns:
        ``{"mota", "idf1", "idp", "idr", "id_switches", "misses",
        "false_positives", "gt_instances", "pred_instances", "matches",
        "gt_identities", "tracks"}`` (``tracks``: distinct predicted ids).
    """
    gt_ids, pred_ids = np.asarray(gt_ids), np.asarray(pred_ids)
    gt_on = (gt_ids >= 0) & np.isfinite(gt_points).all(-1).any(-1)
    pr_on = (pred_ids >= 0) & np.isfinite(pred_points).all(-1).any(-1)
    gt_names = np.unique(gt_ids[gt_on])
    pr_names = np.unique(pred_ids[pr_on])
    gt_index = {int(g): i for i, g in enumerate(gt_names)}
    pr_index = {int(p): i for i, p in enumerate(pr_names)}
    together = np.zeros((len(gt_names), len(pr_names)), np.int64)  # frames they can match
    last: dict[int, int] = {}  # gt id -> track id it was last paired with
    misses = false_pos = switches = matches = 0
    for f in range(len(gt_ids)):
        gj, pi = np.flatnonzero(gt_on[f]), np.flatnonzero(pr_on[f])
        g_names, p_names = gt_ids[f, gj].tolist(), pred_ids[f, pi].tolist()
        sim, ok = _similarity(gt_points[f, gj], pred_points[f, pi], match, sigma,
                              oks_threshold, max_distance_px)
        for a, b in zip(*np.nonzero(ok), strict=True):
            together[gt_index[g_names[a]], pr_index[p_names[b]]] += 1
        pairs = _frame_pairs(sim, ok, g_names, p_names, last)
        for a, b in pairs:
            g, p = g_names[a], p_names[b]
            if g in last and last[g] != p:
                switches += 1
            last[g] = p
        matches += len(pairs)
        misses += len(gj) - len(pairs)
        false_pos += len(pi) - len(pairs)
    n_gt, n_pred = int(gt_on.sum()), int(pr_on.sum())
    rows, cols = linear_sum_assignment(together, maximize=True)
    idtp = int(together[rows, cols].sum())
    return {
        "mota": 1.0 - (misses + false_pos + switches) / max(n_gt, 1),
        "idf1": 2 * idtp / max(n_gt + n_pred, 1),
        "idp": idtp / max(n_pred, 1),
        "idr": idtp / max(n_gt, 1),
        "id_switches": switches,
        "misses": misses,
        "false_positives": false_pos,
        "matches": matches,
        "gt_instances": n_gt,
        "pred_instances": n_pred,
        "gt_identities": len(gt_names),
        "tracks": len(pr_names),
    }


def _similarity(gt: np.ndarray, pred: np.ndarray, match: Match, sigma: float,
                oks_threshold: float, max_distance_px: float) -> tuple[np.ndarray, np.ndarray]:
    """``(J, I)`` similarity (higher is closer) and whether each pair can match."""
    if match == "oks":
        sim = oks(gt, pred, sigma, missing_counts=False)
        return sim, sim >= oks_threshold
    d = np.linalg.norm(_centres(gt)[:, None] - _centres(pred)[None], axis=-1)
    return -d, d <= max_distance_px


def _frame_pairs(sim: np.ndarray, ok: np.ndarray, g_names: list[int], p_names: list[int],
                 last: dict[int, int]) -> list[tuple[int, int]]:
    """CLEAR-MOT pairs of one frame: still-valid previous pairs first, then Hungarian."""
    pairs = []
    g_free, p_free = np.ones(len(g_names), bool), np.ones(len(p_names), bool)
    p_col = {p: b for b, p in enumerate(p_names)}
    for a, g in enumerate(g_names):
        b = p_col.get(last.get(g, -1))
        if b is not None and ok[a, b] and p_free[b]:
            pairs.append((a, b))
            g_free[a] = p_free[b] = False
    ga, pb = np.flatnonzero(g_free), np.flatnonzero(p_free)
    if len(ga) and len(pb):
        sub = np.where(ok[np.ix_(ga, pb)], sim[np.ix_(ga, pb)], -1e9)
        for a, b in zip(*linear_sum_assignment(sub, maximize=True), strict=True):
            if ok[ga[a], pb[b]]:
                pairs.append((int(ga[a]), int(pb[b])))
    return pairs


def _centres(poses: np.ndarray) -> np.ndarray:
    found = np.isfinite(poses).all(-1)
    total = np.where(found[..., None], poses, 0.0).sum(axis=1)
    return total / np.maximum(found.sum(axis=1), 1)[:, None]
