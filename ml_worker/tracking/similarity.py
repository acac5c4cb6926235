"""How alike expected track poses and detected instances are: ``(T, C)`` matrices in [0, 1].

All three take the tracks' expected poses ``(T, K, 2)`` and the candidates
``(C, K, 2)`` (NaN for nodes not found; every pose has at least one node) and return 1 for identical poses, falling towards 0:

* ``oks``: COCO's object keypoint similarity with one sigma for every node,
  the track's keypoint box area as the scale, averaged over the nodes either
  has (a node only one has counts 0: two nodes that happen to meet are weak
  evidence); whole-pose shape and heading count, so two crossing animals
  whose centres meet still differ;
* ``centroid``: ``1 / (1 + d / size)`` with ``d`` the distance between the
  mean found points and ``size`` the square root of the track's box area;
* ``iou``: intersection over union of the keypoint boxes, each padded by a
  tenth of the track's size (a box of collinear points has no area).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SimilarityFn = Callable[[np.ndarray, np.ndarray, float], np.ndarray]


def box_areas(poses: np.ndarray) -> np.ndarray:
    """``(T,)`` area of each pose's keypoint box, at least 1 px²."""
    span = np.nanmax(poses, axis=1) - np.nanmin(poses, axis=1)
    return np.maximum(span[:, 0] * span[:, 1], 1.0)


def oks(tracks: np.ndarray, cands: np.ndarray, sigma: float, *,
        missing_counts: bool = True) -> np.ndarray:
    """Sum over shared nodes of ``exp(-d² / (2 · area · (2σ)²))`` / nodes either has
    (``missing_counts=False``: / shared nodes); 0 with none shared."""
    d2 = np.square(tracks[:, None] - cands[None]).sum(-1)  # (T, C, K), NaN where missing
    shared = np.isfinite(d2)
    scale = 2.0 * box_areas(tracks) * (2.0 * sigma) ** 2
    e = np.exp(-np.where(shared, d2, np.inf) / scale[:, None, None])
    if missing_counts:
        t_has, c_has = np.isfinite(tracks).all(-1), np.isfinite(cands).all(-1)
        n = (t_has[:, None] | c_has[None]).sum(-1)
    else:
        n = shared.sum(-1)
    return np.where(shared.any(-1), e.sum(-1) / np.maximum(n, 1), 0.0)


def centroid(tracks: np.ndarray, cands: np.ndarray, sigma: float) -> np.ndarray:
    """``1 / (1 + d / size)`` of the mean found points (``sigma`` unused)."""
    del sigma
    ct = _nanmean_points(tracks)
    cc = _nanmean_points(cands)
    d = np.linalg.norm(ct[:, None] - cc[None], axis=-1)
    size = np.sqrt(box_areas(tracks))
    return np.nan_to_num(1.0 / (1.0 + d / size[:, None]))


def iou(tracks: np.ndarray, cands: np.ndarray, sigma: float) -> np.ndarray:
    """Intersection over union of padded keypoint boxes (``sigma`` unused)."""
    del sigma
    pad = 0.1 * np.sqrt(box_areas(tracks))[:, None]
    t_lo, t_hi = np.nanmin(tracks, axis=1) - pad, np.nanmax(tracks, axis=1) + pad
    found = np.isfinite(cands).all(-1).any(-1)
    c_lo = np.where(found[:, None], np.nanmin(np.where(found[:, None, None], cands, 0), 1), 0)
    c_hi = np.where(found[:, None], np.nanmax(np.where(found[:, None, None], cands, 0), 1), 0)
    c_lo, c_hi = c_lo - pad.mean(), c_hi + pad.mean()
    lo = np.maximum(t_lo[:, None], c_lo[None])
    hi = np.minimum(t_hi[:, None], c_hi[None])
    inter = np.clip(hi - lo, 0, None).prod(-1)
    area_t = (t_hi - t_lo).prod(-1)
    area_c = (c_hi - c_lo).prod(-1)
    union = area_t[:, None] + area_c[None] - inter
    return np.where(found[None], inter / np.maximum(union, 1e-9), 0.0)


SIMILARITIES: dict[str, SimilarityFn] = {"oks": oks, "centroid": centroid, "iou": iou}


def _nanmean_points(poses: np.ndarray) -> np.ndarray:
    """``(C, 2)`` mean of each pose's found points (NaN for a pose with none)."""
    found = np.isfinite(poses).all(-1)
    total = np.where(found[..., None], poses, 0.0).sum(axis=1)
    n = found.sum(axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / n
