"""Pose plausibility: a low-rank (PCA) model of the labeled poses, and how far a pose is from it.

The ``pose_outlier`` sub-score of :mod:`ml_worker.active_learning`, after the
PCA error detection of Lightning Pose: a pose the model predicts with
confidence can still be impossible (a snout behind the tail base, a leg on the
other fly). Such frames are worth labeling even when the peak scores are high.

Flow:

1. :func:`fit_pose_pca` takes the project's labeled poses (one per animal, at
   least half of the nodes labeled), removes position, size and orientation by
   generalised Procrustes alignment to their mean shape on the labeled nodes
   (rotation without reflection, so a mirrored pose stays implausible), fills
   the unlabeled nodes from the mean shape, and keeps the principal components
   that explain ``variance`` of the result.
2. :func:`pose_outlier_scores` aligns each predicted instance to the mean shape
   on its found nodes, projects it on the components (least squares on those
   nodes only) and scores its Mahalanobis distance under probabilistic PCA:
   the latent coordinates divided by their spread, plus the residual off the
   components divided by the noise spread (what the dropped components kept).
   The residual alone misses outliers of animals with few nodes: four nodes
   leave four shape dimensions, and the components may span them all. The
   score is per coordinate (about 1 for a typical labeled pose), and a frame
   scores its worst animal.

Numpy only: the web process may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Fewer complete poses than this give no model (the residual would be noise).
MIN_POSES = 5
MIN_NODES = 3


@dataclass
class PosePCA:
    """A low-rank model of aligned poses.

    Attributes:
        mean: ``(K, 2)`` mean shape, centred, RMS node distance from the centre 1.
        components: ``(C, 2K)`` orthonormal principal axes of the aligned poses
            (``x0, y0, x1, y1, ...`` order), C may be 0.
        variances: ``(C,)`` variance along each axis.
        noise: variance per coordinate off the components (at least a
            twentieth of the mean kept variance, so a small training set does
            not make every new pose an outlier).
        n_poses: poses the model was fitted on.
    """

    mean: np.ndarray
    components: np.ndarray
    variances: np.ndarray
    noise: float
    n_poses: int

    @property
    def num_nodes(self) -> int:
        return len(self.mean)


def align(pose: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The similarity transform of ``pose`` that best fits ``reference`` on their shared nodes.

    Args:
        pose: ``(K, 2)``, NaN for missing nodes.
        reference: ``(K, 2)`` finite.

    Returns:
        ``(K, 2)``: the pose scaled, rotated (no reflection) and moved onto the
        reference (least squares over the nodes ``pose`` has); NaN where it had
        NaN, all NaN when fewer than 2 nodes are found or they coincide.
    """
    p = np.asarray(pose, np.float64)
    ok = np.isfinite(p).all(axis=-1)
    out = np.full(p.shape, np.nan)
    if ok.sum() < 2:
        return out
    x, y = p[ok], np.asarray(reference, np.float64)[ok]
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    norm = (xc**2).sum()
    if norm <= 1e-12:
        return out
    u, s, vt = np.linalg.svd(xc.T @ yc)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag([1.0, d]) @ vt  # the best proper rotation (Kabsch)
    scale = (s * [1.0, d]).sum() / norm
    out[ok] = scale * (p[ok] - x.mean(axis=0)) @ rot + y.mean(axis=0)
    return out


def _unit(shape: np.ndarray) -> np.ndarray:
    """Centred, RMS node distance from the centre 1."""
    c = shape - shape.mean(axis=0)
    return c / max(float(np.sqrt((c**2).sum(axis=1).mean())), 1e-12)


def complete_poses(poses: np.ndarray, min_fraction: float = 1.0) -> np.ndarray:
    """``(N, K, 2)`` from ``(..., K, 2)``: the poses with at least ``min_fraction`` of
    their nodes (and at least ``MIN_NODES``) finite."""
    p = np.asarray(poses, np.float64)
    p = p.reshape(-1, *p.shape[-2:])
    found = np.isfinite(p).all(axis=-1).sum(axis=1)
    return p[(found >= min_fraction * p.shape[1] - 1e-9) & (found >= MIN_NODES)]


def fit_pose_pca(
    poses: np.ndarray, *, variance: float = 0.9, max_components: int | None = None,
    iterations: int = 5,
) -> PosePCA | None:  # fmt: skip
    """Fit the low-rank pose model on labeled poses.

    Args:
        poses: ``(N, K, 2)`` or ``(F, I, K, 2)`` labeled poses in pixels; poses
            with fewer than half their nodes are left out, the missing nodes
            of the others are filled from the mean shape.
        variance: fraction of the aligned poses' variance the components keep.
        max_components: cap on the number of components (default: no cap
            beyond ``N - 1`` and ``2K - 4``, what is left after a similarity
            transform).
        iterations: generalised Procrustes rounds.

    Returns:
        The model, or None with fewer than ``MIN_POSES`` complete poses or
        fewer than ``MIN_NODES`` nodes.
    """
    p = complete_poses(poses, 0.5)
    if len(p) < MIN_POSES or p.shape[1] < MIN_NODES:
        return None
    # start from the most complete pose; a node nobody labeled makes no model
    first = p[np.argmax(np.isfinite(p).all(axis=-1).sum(axis=1))]
    if not np.isfinite(p).all(axis=-1).any(axis=0).all():
        return None
    ref = _unit(np.where(np.isfinite(first), first, np.nanmean(p, axis=0)))
    for _ in range(iterations):
        aligned = _filled(np.stack([align(x, ref) for x in p]), ref)
        ref = _unit(aligned.mean(axis=0))
    aligned = _filled(np.stack([align(x, ref) for x in p]), ref)
    flat = aligned.reshape(len(p), -1)
    centred = flat - ref.reshape(-1)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s**2 / max(len(p) - 1, 1)
    total = var.sum()
    shape_dims = 2 * p.shape[1] - 4  # what a similarity transform leaves
    cap = min(len(p) - 1, shape_dims, max_components or len(var))
    if total <= 1e-12 or cap <= 0:
        n = 0
    else:
        n = min(int(np.searchsorted(np.cumsum(var) / total, variance) + 1), cap)
    dropped = var[n:shape_dims]
    floor = 0.05 * (var[:n].mean() if n else total / max(shape_dims, 1))
    noise = max(float(dropped.mean()) if len(dropped) else 0.0, floor, 1e-9)
    return PosePCA(ref, vt[:n], var[:n], noise, len(p))


def _filled(aligned: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Aligned poses with their missing nodes taken from the reference shape."""
    return np.where(np.isfinite(aligned), aligned, ref[None])


def instance_outlier_scores(model: PosePCA, poses: np.ndarray) -> np.ndarray:
    """Mahalanobis distance per coordinate of each pose under the model (about 1: typical).

    Args:
        model: from :func:`fit_pose_pca`.
        poses: ``(N, K, 2)`` in pixels, NaN for nodes not found.

    Returns:
        ``(N,)``; NaN for a pose with fewer than ``MIN_NODES`` nodes found.
    """
    p = np.asarray(poses, np.float64).reshape(-1, model.num_nodes, 2)
    out = np.full(len(p), np.nan)
    for n, pose in enumerate(p):
        ok = np.isfinite(pose).all(axis=-1)
        if ok.sum() < MIN_NODES:
            continue
        a = align(pose, model.mean)
        if not np.isfinite(a[ok]).all():
            continue
        coords = np.repeat(ok, 2)
        delta = (a - model.mean).reshape(-1)[coords]
        basis = model.components[:, coords].T  # (2V, C)
        d2 = 0.0
        if basis.shape[1]:
            z = np.linalg.lstsq(basis, delta, rcond=None)[0]
            delta = delta - basis @ z
            d2 = float((z**2 / (model.variances + model.noise)).sum())
        d2 += float((delta**2).sum()) / model.noise
        out[n] = float(np.sqrt(d2 / len(delta)))
    return out


def pose_outlier_scores(model: PosePCA, points: np.ndarray) -> np.ndarray:
    """``(F,)`` per frame: the worst instance's residual (0 where no instance can be scored).

    Args:
        model: from :func:`fit_pose_pca`.
        points: ``(F, K, 2)`` or ``(F, I, K, 2)`` predicted points in pixels
            (NaN: not found or an empty slot).
    """
    p = np.asarray(points, np.float64)
    if p.ndim == 3:
        p = p[:, None]
    per = instance_outlier_scores(model, p.reshape(-1, *p.shape[-2:])).reshape(p.shape[:2])
    finite = np.isfinite(per)
    return np.where(finite.any(axis=1), np.where(finite, per, -np.inf).max(axis=1), 0.0)
