"""Test-time augmentation (TTA): how much a model's answer moves under small changes.

The ``disagreement`` sub-score of :mod:`ml_worker.active_learning`: frames are
predicted as they are, flipped (left/right nodes swapped back), slightly
rotated and zoomed about the animal, every answer is mapped back to frame
pixels, and the spread of the answers is measured in body lengths.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from ml_worker.artifacts import ModelArtifact
from ml_worker.augment import affine_matrix, flip_permutation, transform_points, warp_images
from ml_worker.frame_scores import animal_size, nanmax_rows
from ml_worker.pipeline import TopDownModel


@dataclass
class TTAResult:
    """Test-time-augmentation predictions of N frames under V variants.

    Attributes:
        variants: V variant names (``"identity"`` first).
        points: ``(V, N, K, 2)`` predictions mapped back to frame pixels
            (``(V, N, I, K, 2)`` from a model with several instance slots).
        scores: ``(V, N, K)`` peak confidences (``(V, N, I, K)``).
        node_spread_px: ``(N, K)`` mean distance of the variants to their median
            (``(N, I, K)``).
        spread: ``(N,)`` mean node spread divided by the body size (body lengths);
            with several animals, the largest instance's.
    """

    variants: list[str]
    points: np.ndarray
    scores: np.ndarray
    node_spread_px: np.ndarray
    spread: np.ndarray


def tta_predictions(
    model: ModelArtifact | TopDownModel,
    frames: np.ndarray,
    *,
    symmetries: Sequence[tuple[int, int]] | None = None,
    angles_deg: Sequence[float] = (-15.0, 15.0),
    scales: Sequence[float] = (0.9, 1.1),
    flip: bool = True,
    batch_size: int = 16,
    size: float | None = None,
) -> TTAResult:
    """Predict frames under small augmentations and measure how much the answers move.

    Rotations and zooms are about the animal's anchor (from the identity
    pass), so the animal stays in the frame; the flip mirrors the whole frame
    and swaps symmetric nodes back.

    Args:
        model: an artifact (its symmetries are used) or a built module.
        frames: ``(N, H, W, 3)`` uint8 RGB.
        symmetries: left/right node pairs (default: the artifact's, else none).
        angles_deg: rotation variants, degrees.
        scales: zoom variants.
        flip: include the horizontal flip.
        batch_size: frames per forward pass.
        size: body size in px (default: :func:`animal_size` of the identity pass).

    Returns:
        The per-variant predictions and spreads.
    """
    if isinstance(model, ModelArtifact):
        symmetries = model.symmetries if symmetries is None else symmetries
        model = model.build_module()
    module = model.eval()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    k = module.geometry.num_nodes
    perm = flip_permutation(k, symmetries or [])
    n, h, w = frames.shape[:3]
    with torch.inference_mode():
        points, scores, anchors = _run(module, torch.from_numpy(frames), batch_size)
        out_p, out_s, names = [points], [scores], ["identity"]
        if anchors.ndim == 3:  # several animals: turn and zoom about the most confident one
            anchors = torch.nan_to_num(anchors[:, 0], nan=0.0)
        if flip:
            p, s, _ = _run(module, torch.from_numpy(frames[:, :, ::-1].copy()), batch_size)
            p = p[..., perm, :]
            p[..., 0] = (w - 1) - p[..., 0]
            out_p.append(p)
            out_s.append(s[..., perm])
            names.append("flip")
        images = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
        variants = [(math.radians(a), 1.0, f"rotate {a:+g}") for a in angles_deg]
        variants += [(0.0, float(z), f"scale {z:g}") for z in scales]
        for angle, zoom, name in variants:
            m = affine_matrix(
                anchors,
                anchors,
                torch.full((n,), zoom),
                torch.full((n,), angle),
                torch.zeros(n, dtype=torch.bool),
            )
            warped = warp_images(images, m, h, w).round().clamp(0, 255).to(torch.uint8)
            p, s, _ = _run(module, warped.permute(0, 2, 3, 1).contiguous(), batch_size)
            back = transform_points(p.reshape(n, -1, 2), torch.linalg.inv(m)).reshape(p.shape)
            out_p.append(back)
            out_s.append(s)
            names.append(name)
    pts = torch.stack(out_p).numpy().astype(np.float32)  # (V, N, K, 2) or (V, N, I, K, 2)
    scs = torch.stack(out_s).numpy().astype(np.float32)
    if pts.ndim == 5:
        return _tta_instances(names, pts, scs, size)
    median = np.median(pts, axis=0)
    node_spread = np.linalg.norm(pts - median[None], axis=-1).mean(axis=0)  # (N, K)
    body = size or animal_size(pts[0], scs[0])
    return TTAResult(names, pts, scs, node_spread, node_spread.mean(axis=1) / body)


def _tta_instances(
    names: list[str], pts: np.ndarray, scs: np.ndarray, size: float | None
) -> TTAResult:
    """TTA spread with several animals: each variant's instances are matched to the
    identity pass's (Hungarian on mean node distance), the spread is measured per
    instance, and a frame's spread is that of its least stable animal."""
    v, n, i = pts.shape[:3]
    for var in range(1, v):
        for row in range(n):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                d = np.nanmean(np.linalg.norm(
                    pts[0, row][:, None] - pts[var, row][None], axis=-1), axis=-1)  # fmt: skip
            _, cols = linear_sum_assignment(np.where(np.isfinite(d), d, 1e12))
            pts[var, row], scs[var, row] = pts[var, row][cols], scs[var, row][cols]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # padding slots: NaN, ignored
        median = np.nanmedian(pts, axis=0)
        node_spread = np.nanmean(np.linalg.norm(pts - median[None], axis=-1), axis=0)  # (N, I, K)
        body = size or animal_size(pts[0], scs[0])
        per_instance = np.nanmean(node_spread, axis=-1) / body  # (N, I)
    spread = np.nan_to_num(nanmax_rows(per_instance), nan=0.0)
    return TTAResult(names, pts, scs, node_spread, spread)


def _run(
    module: TopDownModel, frames: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batched forward: ``(N, H, W, 3)`` uint8 -> points, scores, anchors (float32).

    A model with an instance axis (points, scores, instance scores, anchors) and
    one slot gives ``(N, K, 2)`` points as a single-animal model does."""
    outs = [module(frames[i : i + batch_size]) for i in range(0, len(frames), batch_size)]
    points, scores, anchors = (torch.cat([o[j].float() for o in outs]) for j in (0, 1, -1))
    if points.ndim == 4 and points.shape[1] == 1:
        points, scores, anchors = points[:, 0], scores[:, 0], anchors.reshape(len(anchors), 2)
    return points, scores, anchors
