"""Disagreement of several models: MC dropout passes and other model versions.

The ``ensemble_disagreement`` sub-score of :mod:`ml_worker.active_learning`.
TTA (:mod:`ml_worker.tta`) asks one set of weights the same question several
ways; this asks several sets of weights the same question:

- MC dropout: the instance net run ``passes`` times with a seeded channel
  dropout on its encoder and bottleneck activations (the nets train without
  dropout, so this is a perturbation of the features they learned rather than
  a posterior; frames whose answer depends on a few feature channels move);
- ``others``: further models, e.g. the previous model version of the project
  (a snapshot of the same labels' training history), each run once as it is.

Every member's answer is in frame pixels; the spread is the mean distance of
the members to their median, per node, averaged over nodes and divided by the
body size (body lengths), as :class:`ml_worker.tta.TTAResult` measures it. With
several animals each member's instances are matched to the first member's
(Hungarian on mean node distance) and a frame scores its least stable animal.

Cost: ``passes + len(others)`` instance-net passes (the centroid net runs once
for the dropout passes), so callers run it on a shortlist of frames only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn

from ml_worker.artifacts import ModelArtifact
from ml_worker.frame_scores import animal_size, nanmax_rows
from ml_worker.pipeline import TopDownModel

DEFAULT_PASSES = 4
DEFAULT_DROPOUT = 0.1


@dataclass
class EnsembleResult:
    """Predictions of N frames by M committee members.

    Attributes:
        points: ``(M, N, K, 2)`` (``(M, N, I, K, 2)`` with several instance
            slots), instances matched to member 0's.
        spread: ``(N,)`` mean node distance to the members' median, in body
            lengths (the least stable animal's with several).
    """

    points: np.ndarray
    spread: np.ndarray


def ensemble_disagreement(
    model: ModelArtifact | TopDownModel,
    frames: np.ndarray,
    *,
    others: Sequence[ModelArtifact | TopDownModel] = (),
    passes: int = DEFAULT_PASSES,
    p: float = DEFAULT_DROPOUT,
    seed: int = 0,
    batch_size: int = 16,
    size: float | None = None,
) -> EnsembleResult:
    """Predict frames with a committee and measure how much its members disagree.

    Args:
        model: the current model (artifact or built module).
        frames: ``(N, H, W, 3)`` uint8 RGB.
        others: further models (same nodes), each one member.
        passes: MC dropout passes of ``model`` (0: none; then ``others`` must
            give at least 2 members with ``model``'s plain pass).
        p: channel dropout probability of the instance net's activations.
        seed: seeds the dropout masks: same seed, same answer.
        batch_size: frames per forward pass.
        size: body size in px (default: :func:`animal_size` of member 0).

    Returns:
        Members' points and the per-frame spread.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    module = _module(model)
    members: list[tuple[np.ndarray, np.ndarray]] = []
    if passes <= 0:
        members.append(_predict(module, frames, batch_size))
    for k in range(max(passes, 0)):
        gen = torch.Generator().manual_seed(seed * 1000 + k)
        with _channel_dropout(module.instance, p, gen):
            members.append(_predict(module, frames, batch_size))
    members += [_predict(_module(m), frames, batch_size) for m in others]
    if len(members) < 2:
        raise ValueError("a committee needs at least 2 members (passes + others)")
    pts = np.stack([m[0] for m in members])
    scs = np.stack([m[1] for m in members])
    if pts.ndim == 5:
        pts = _match_instances(pts)
    body = size or animal_size(pts[0], scs[0])
    return EnsembleResult(pts, committee_spread(pts, body))


def committee_spread(points: np.ndarray, size: float) -> np.ndarray:
    """``(M, N, [I,] K, 2)`` -> ``(N,)`` mean node distance to the median, in body lengths.

    NaN points (nodes not found, empty slots) are ignored; a frame with none
    scores 0.
    """
    pts = np.asarray(points, np.float64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(pts, axis=0)
        node = np.nanmean(np.linalg.norm(pts - median[None], axis=-1), axis=0)  # (N, [I,] K)
        per = np.nanmean(node, axis=-1) / max(size, 1e-6)
    if per.ndim == 2:
        per = nanmax_rows(per)
    return np.nan_to_num(per, nan=0.0)


def _module(model: ModelArtifact | TopDownModel) -> TopDownModel:
    return (model.build_module() if isinstance(model, ModelArtifact) else model).eval()


def _predict(module: TopDownModel, frames: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(N, [I,] K, 2)`` and scores; one instance slot gives ``(N, K, 2)``."""
    points, scores = [], []
    with torch.inference_mode():
        for i in range(0, len(frames), batch):
            out = module(torch.from_numpy(frames[i : i + batch]))
            points.append(out[0].float().numpy())
            scores.append(out[1].float().numpy())
    p, s = np.concatenate(points), np.concatenate(scores)
    if p.ndim == 4 and p.shape[1] == 1:
        p, s = p[:, 0], s[:, 0]
    return p, s


class _channel_dropout:
    """Context: seeded channel dropout on the outputs of ``net``'s encoder blocks and bottleneck.

    The masks come from ``gen`` (drawn per call, per batch row), so a seed
    gives the same answers whatever torch's global random state is.
    """

    def __init__(self, net: nn.Module, p: float, gen: torch.Generator) -> None:
        self.p, self.gen = p, gen
        self.layers = [*getattr(net, "encoders", []), net.bottleneck]
        self.hooks: list[torch.utils.hooks.RemovableHandle] = []

    def _hook(self, _module: nn.Module, _inputs: tuple, out: Tensor) -> Tensor:
        if self.p <= 0:
            return out
        keep = torch.rand(out.shape[0], out.shape[1], 1, 1, generator=self.gen) >= self.p
        return out * keep.to(out.device, out.dtype) / (1.0 - self.p)

    def __enter__(self) -> _channel_dropout:
        self.hooks = [layer.register_forward_hook(self._hook) for layer in self.layers]
        return self

    def __exit__(self, *exc: object) -> None:
        for hook in self.hooks:
            hook.remove()


def _match_instances(pts: np.ndarray) -> np.ndarray:
    """Reorder each member's instance slots to match member 0's, frame by frame."""
    pts = pts.copy()
    for m in range(1, len(pts)):
        for row in range(pts.shape[1]):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                d = np.nanmean(np.linalg.norm(pts[0, row][:, None] - pts[m, row][None], axis=-1),
                               axis=-1)  # fmt: skip
            _, cols = linear_sum_assignment(np.where(np.isfinite(d), d, 1e12))
            pts[m, row] = pts[m, row][cols]
    return pts
