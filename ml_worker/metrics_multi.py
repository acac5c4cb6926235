"""Multi-animal accuracy on held-out frames: COCO keypoint mAP/mAR plus matched-instance errors.

Two ways of pairing predictions with ground truth, for two questions:

1. **Detection quality** (``map_oks``, ``mar_oks``, ``ap50``, ``ap75``) follows
   pycocotools' ``COCOeval`` with ``iouType="keypoints"`` step by step: per
   frame, predictions sorted by instance score (stable) and cut to
   ``max_dets``; at each OKS threshold 0.50:0.05:0.95 each prediction in turn
   greedily takes the unmatched ground truth with the highest OKS at or above
   the threshold; over all frames, predictions sorted by score give the
   precision/recall curve, precision is made monotone and read at 101 recall
   points; AP is its mean, AR the final recall, both averaged over thresholds.
   OKS uses one uniform ``sigma`` for every node (SLEAP's 0.025 by default;
   DeepLabCut uses 0.1) and, as the object area, the area of the bounding box of
   the ground-truth instance's labeled points (what SLEAP does; COCO uses the
   segmentation area, which animals do not have). Ground-truth points with
   visibility 0 or NaN are left out of OKS; a predicted NaN point adds 0.
2. **Keypoint errors** (RMSE, PCK, missed / spurious instances) pair instances
   once per frame with the Hungarian algorithm on OKS
   (:func:`scipy.optimize.linear_sum_assignment`) and keep the pairs whose OKS
   is at least ``match_oks`` (0.5 by default, COCO's loosest threshold: a pair
   below it would not count as found for AP either). Unpaired ground truth is
   *missed*, unpaired predictions are *spurious*. RMSE is over the labeled
   points of paired instances that the model predicted; PCK counts a labeled
   point the model left out as a miss, so abstaining does not help.

Padding is NaN: a ground-truth instance with no labeled point, or a predicted
one with no finite point, is no instance. A frame with neither is skipped, as
COCOeval skips it. Pure numpy + scipy (no pycocotools).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

# COCOeval.Params.setKpParams, built the same way so the float thresholds match bit for bit.
OKS_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_POINTS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
MAX_DETS = 20
DEFAULT_SIGMA = 0.025
_EPS = np.spacing(1)


def instance_areas(gt_points: np.ndarray, gt_visibility: np.ndarray) -> np.ndarray:
    """Area of the bounding box of each instance's labeled points.

    Args:
        gt_points: ``(J, K, 2)`` pixels, NaN where unlabeled.
        gt_visibility: ``(J, K)``; 0 is unlabeled.

    Returns:
        ``(J,)`` areas in px² (0 for an instance with fewer than two distinct points).
    """
    labeled = _labeled(gt_points, gt_visibility)
    pts = np.where(labeled[..., None], gt_points, np.nan).astype(np.float64)
    areas = np.zeros(len(pts))
    for j, inst in enumerate(pts):
        inst = inst[labeled[j]]
        if len(inst):
            w, h = inst.max(axis=0) - inst.min(axis=0)
            areas[j] = w * h
    return areas


def oks_matrix(
    pred_points: np.ndarray,
    gt_points: np.ndarray,
    gt_visibility: np.ndarray,
    *,
    sigma: float | Sequence[float] = DEFAULT_SIGMA,
    areas: np.ndarray | None = None,
) -> np.ndarray:
    """Object keypoint similarity of every prediction with every ground-truth instance.

    ``OKS = mean over labeled nodes of exp(-d² / (2 · area · (2σ)²))``, COCOeval's
    formula (``area + eps`` keeps a one-point instance finite).

    Args:
        pred_points: ``(D, K, 2)`` predictions (NaN = node not predicted).
        gt_points: ``(J, K, 2)`` ground truth (NaN = unlabeled).
        gt_visibility: ``(J, K)``.
        sigma: one value for all nodes, or ``K`` values.
        areas: ``(J,)`` object areas; default :func:`instance_areas`.

    Returns:
        ``(D, J)`` OKS in [0, 1]; 0 against an instance with no labeled point.
    """
    d_, k = pred_points.shape[0], gt_points.shape[1]
    if d_ == 0 or gt_points.shape[0] == 0:
        return np.zeros((d_, gt_points.shape[0]))
    sig = np.broadcast_to(np.asarray(sigma, np.float64), (k,))
    variances = (sig * 2) ** 2
    area = instance_areas(gt_points, gt_visibility) if areas is None else np.asarray(areas)
    labeled = _labeled(gt_points, gt_visibility)
    diff = pred_points[:, None].astype(np.float64) - gt_points[None].astype(np.float64)
    dist2 = np.sum(diff**2, axis=-1)  # (D, J, K)
    e = dist2 / variances / (area[None, :, None] + _EPS) / 2
    sim = np.where(np.isfinite(e), np.exp(-np.where(np.isfinite(e), e, 0)), 0.0)
    sim = np.where(labeled[None], sim, 0.0)
    n = labeled.sum(axis=1)
    return np.where(n > 0, sim.sum(axis=2) / np.maximum(n, 1), 0.0)


def evaluate(
    pred_points: np.ndarray,
    pred_scores: np.ndarray,
    pred_instance_scores: np.ndarray,
    gt_points: np.ndarray,
    gt_visibility: np.ndarray,
    node_names: Sequence[str],
    *,
    sigma: float | Sequence[float] = DEFAULT_SIGMA,
    pck_threshold_px: float = 5.0,
    match_oks: float = 0.5,
    max_dets: int = MAX_DETS,
) -> dict[str, Any]:
    """Multi-animal metrics over held-out frames.

    Args:
        pred_points: ``(F, I, K, 2)`` predictions, NaN-padded instances.
        pred_scores: ``(F, I, K)`` per-node confidence (used only when an
            instance score is NaN: their finite mean, else 0).
        pred_instance_scores: ``(F, I)`` ranking score of each prediction.
        gt_points: ``(F, J, K, 2)`` labels, NaN-padded instances.
        gt_visibility: ``(F, J, K)`` 2 visible / 1 occluded / 0 absent.
        node_names: K node names.
        sigma: OKS per-node standard deviation (fraction of the object scale).
        pck_threshold_px: PCK distance in pixels.
        match_oks: lowest OKS at which a Hungarian pair counts as a match.
        max_dets: highest-scoring predictions per frame that AP/AR consider.

    Returns:
        JSON-ready dict: ``map_oks``, ``mar_oks``, ``ap50``, ``ap75`` (None when
        no frame has ground truth), ``rmse_matched_px``, ``pck`` (None without
        matched points), ``matched_instances``, ``missed_instances``,
        ``spurious_instances``, ``gt_instances``, ``pred_instances``,
        ``unpredicted_points``, ``per_node`` (name -> ``{"rmse_px", "pck"}``), the
        settings used and ``n_frames`` (frames with ground truth or predictions).
    """
    pred_points, gt_points = np.asarray(pred_points), np.asarray(gt_points)
    n_frames, k = gt_points.shape[0], gt_points.shape[2]
    if pred_points.shape[0] != n_frames or pred_points.shape[2] != k:
        raise ValueError(f"pred_points {pred_points.shape} and gt_points {gt_points.shape} "
                         "differ in frames or nodes")
    if len(node_names) != k:
        raise ValueError(f"{len(node_names)} node names for {k} nodes")
    frames = [_frame(pred_points[f], np.asarray(pred_scores)[f],
                     np.asarray(pred_instance_scores)[f], gt_points[f],
                     np.asarray(gt_visibility)[f], sigma, max_dets)
              for f in range(n_frames)]  # fmt: skip
    frames = [fr for fr in frames if fr is not None]
    out: dict[str, Any] = _coco_summary(frames, max_dets)
    out.update(_matched_errors(frames, node_names, match_oks, pck_threshold_px))
    out.update({"n_frames": len(frames), "oks_sigma": _plain(sigma), "match_oks": match_oks,
                "pck_threshold_px": pck_threshold_px, "max_dets": max_dets})
    return out


@dataclass
class _Frame:
    """One frame: predictions in score order ``(D, K, 2)``, ground truth ``(J, K, 2)``, OKS ``(D, J)``."""

    pred: np.ndarray
    scores: np.ndarray
    gt: np.ndarray
    vis: np.ndarray
    oks: np.ndarray


def _frame(pred: np.ndarray, node_scores: np.ndarray, inst_scores: np.ndarray, gt: np.ndarray,
           vis: np.ndarray, sigma: float | Sequence[float], max_dets: int) -> _Frame | None:
    gt_keep = _labeled(gt, vis).any(axis=1)
    gt, vis = gt[gt_keep], vis[gt_keep]
    pred_keep = np.isfinite(pred).all(axis=-1).any(axis=1)
    pred, node_scores, inst_scores = pred[pred_keep], node_scores[pred_keep], inst_scores[pred_keep]
    if len(gt) == 0 and len(pred) == 0:
        return None
    scores = _ranking_scores(inst_scores, node_scores)
    order = np.argsort(-scores, kind="mergesort")
    pred, scores = pred[order], scores[order]
    return _Frame(pred, scores, gt, vis, oks_matrix(pred, gt, vis, sigma=sigma))


def _ranking_scores(inst_scores: np.ndarray, node_scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(inst_scores, np.float64).copy()
    missing = ~np.isfinite(scores)
    if missing.any():
        ns = np.where(np.isfinite(node_scores), node_scores, np.nan)[missing]
        with np.errstate(invalid="ignore"):
            counts = np.isfinite(ns).sum(axis=1)
            fallback = np.where(counts > 0, np.nansum(ns, axis=1) / np.maximum(counts, 1), 0.0)
        scores[missing] = fallback
    return scores


def _greedy_matches(fr: _Frame, max_dets: int) -> np.ndarray:
    """COCOeval.evaluateImg: ``(T, D)`` True where prediction d is a true positive at T."""
    d_, j_ = min(len(fr.pred), max_dets), len(fr.gt)
    dt_matched = np.zeros((len(OKS_THRESHOLDS), d_), bool)
    if d_ == 0 or j_ == 0:
        return dt_matched
    for t_i, t in enumerate(OKS_THRESHOLDS):
        gt_taken = np.zeros(j_, bool)
        for d in range(d_):
            best, m = min(t, 1 - 1e-10), -1
            for g in range(j_):
                if gt_taken[g] or fr.oks[d, g] < best:
                    continue
                best, m = fr.oks[d, g], g
            if m >= 0:
                gt_taken[m] = True
                dt_matched[t_i, d] = True
    return dt_matched


def _coco_summary(frames: list[_Frame], max_dets: int) -> dict[str, Any]:
    """COCOeval.accumulate + summarize for one category, area range "all"."""
    n_gt = sum(len(fr.gt) for fr in frames)
    none = {"map_oks": None, "mar_oks": None, "ap50": None, "ap75": None}
    if n_gt == 0:
        return none
    scores = np.concatenate([fr.scores[:max_dets] for fr in frames] or [np.zeros(0)])
    matched = np.concatenate([_greedy_matches(fr, max_dets) for fr in frames], axis=1)
    order = np.argsort(-scores, kind="mergesort")
    matched = matched[:, order]
    tp = np.cumsum(matched, axis=1).astype(np.float64)
    fp = np.cumsum(~matched, axis=1).astype(np.float64)
    precision = np.zeros((len(OKS_THRESHOLDS), len(RECALL_POINTS)))
    recall = np.zeros(len(OKS_THRESHOLDS))
    for t_i in range(len(OKS_THRESHOLDS)):
        precision[t_i], recall[t_i] = _interpolated_precision(tp[t_i], fp[t_i], n_gt)
    return {"map_oks": float(precision.mean()), "mar_oks": float(recall.mean()),
            "ap50": float(precision[0].mean()), "ap75": float(precision[5].mean())}


def _interpolated_precision(tp: np.ndarray, fp: np.ndarray, n_gt: int) -> tuple[np.ndarray, float]:
    """Precision at the 101 recall points (0 past the highest recall) and the final recall."""
    q = np.zeros(len(RECALL_POINTS))
    if len(tp) == 0:
        return q, 0.0
    rc = tp / n_gt
    pr = tp / (fp + tp + _EPS)
    pr = np.maximum.accumulate(pr[::-1])[::-1]  # monotone from the right
    idx = np.searchsorted(rc, RECALL_POINTS, side="left")
    valid = idx < len(pr)
    q[valid] = pr[idx[valid]]
    return q, float(rc[-1])


def hungarian_pairs(oks: np.ndarray, match_oks: float) -> list[tuple[int, int]]:
    """``(prediction, ground truth)`` pairs maximising total OKS, each at least ``match_oks``."""
    if oks.size == 0:
        return []
    rows, cols = linear_sum_assignment(oks, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if oks[r, c] >= match_oks]


def _matched_errors(frames: list[_Frame], node_names: Sequence[str], match_oks: float,
                    pck_px: float) -> dict[str, Any]:
    errors: list[np.ndarray] = []  # (K,) per matched pair: NaN unlabeled, inf unpredicted
    n_gt = sum(len(fr.gt) for fr in frames)
    n_pred = sum(len(fr.pred) for fr in frames)
    for fr in frames:
        for d, g in hungarian_pairs(fr.oks, match_oks):
            err = np.linalg.norm(fr.pred[d].astype(np.float64) - fr.gt[g], axis=-1)
            err = np.where(np.isfinite(err), err, np.inf)
            errors.append(np.where(_labeled(fr.gt[g], fr.vis[g]), err, np.nan))
    k = len(node_names)
    err = np.stack(errors) if errors else np.zeros((0, k))
    per_node = {name: {"rmse_px": _rmse(err[:, i]), "pck": _pck(err[:, i], pck_px)}
                for i, name in enumerate(node_names)}
    return {
        "rmse_matched_px": _rmse(err.ravel()),
        "pck": _pck(err.ravel(), pck_px),
        "matched_instances": len(errors),
        "missed_instances": n_gt - len(errors),
        "spurious_instances": n_pred - len(errors),
        "gt_instances": n_gt,
        "pred_instances": n_pred,
        "unpredicted_points": int(np.isinf(err).sum()),
        "per_node": per_node,
    }


def _labeled(points: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    return (np.asarray(visibility) > 0) & np.isfinite(points).all(axis=-1)


def _rmse(err: np.ndarray) -> float | None:
    err = err[np.isfinite(err)]
    return float(np.sqrt(np.mean(err**2))) if err.size else None


def _pck(err: np.ndarray, threshold: float) -> float | None:
    err = err[~np.isnan(err)]
    return float(np.mean(err <= threshold)) if err.size else None


def _plain(value: float | Sequence[float]) -> float | list[float]:
    arr = np.asarray(value, np.float64)
    return float(arr) if arr.ndim == 0 else arr.tolist()
