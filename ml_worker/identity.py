"""Identity models: which named animal each detected instance is (SLEAP's "multi-class" top-down).

When the labels carry consistent identities (tracks named ``female``/``male`` or
``bird1``, ``bird2`` ... on most labeled animals), the centred-instance U-Net
learns, besides the keypoints, *who* the animal at the crop centre is. Flow:

1. :func:`identity_names` reads the labels' track names and decides (config
   ``identity``: ``"auto"``, ``"on"``, ``"off"``) whether they are identities;
   :func:`track_labels` turns every labeled animal's name into a class index;
2. :class:`IdentityUNet` is the instance U-Net plus a small head: the
   bottleneck, average-pooled over the whole crop and over its centre (where
   the animal to name is), then one linear layer to ``T`` logits. It is trained
   jointly: :func:`identity_loss` adds a cross-entropy on the centred animal's
   track to the confidence-map loss (:mod:`ml_worker.stages` builds the targets);
3. at inference :class:`ml_worker.pipeline.TopDownModel` returns the softmax as
   a fifth output ``identity_scores (N, I, T)`` (0 for empty slots); the exports
   and the predictions file carry it, and the tracker
   (:mod:`ml_worker.tracking.identity`) assigns tracks from it;
4. :func:`identity_metrics`: on held-out frames, the share of matched animals
   given their labeled identity and the share of frames where every animal is.

Without identities nothing here runs: the instance net is a plain
:class:`ml_worker.model.UNet` and every output is as before.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn
from torch.nn import functional as F

from ml_worker.dataset import PoseDataset
from ml_worker.model import UNet, UNetConfig

# "auto": names count as identities when at least this share of labeled animals carry one
MIN_NAMED_FRACTION = 0.8
# ... each identity labels at least this share of the labeled frames (tracker fragments do not)
MIN_FRAME_FRACTION = 0.05
# identity metric: a prediction is on a labeled animal when their centres are closer than
# this share of the animal's size (its labeled box diagonal)
MATCH_DISTANCE = 0.5


def _natural_key(name: str) -> list[Any]:
    """``bird2`` before ``bird10``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _labeled_tracks(ds: PoseDataset) -> list[list[str | None]]:
    """Per frame, the track name of each animal with at least one labeled node."""
    out = []
    for s in ds.samples:
        kp = s.keypoints if s.keypoints.ndim == 3 else s.keypoints[None]
        labeled = np.isfinite(kp).all(-1).any(-1)
        out.append([t for t, ok in zip(s.tracks or [None] * len(kp), labeled, strict=True) if ok])
    return out


def identity_names(ds: PoseDataset, mode: str = "auto") -> list[str]:
    """The identities a model should learn from ``ds``'s track names ([]: none).

    ``"off"``: none. ``"on"``: every track name (at least two, else ValueError).
    ``"auto"``: the names are identities when no frame repeats a name, at least
    two names each label at least ``MIN_FRAME_FRACTION`` of the labeled frames,
    there are at most twice as many as animals in one frame (a tracker's
    fragments ``track_0 .. track_57`` are not identities), and those names
    cover at least ``MIN_NAMED_FRACTION`` of the labeled animals.

    Returns:
        The names in natural order (class ``t`` is ``names[t]``).
    """
    if mode == "off":
        return []
    per_frame = _labeled_tracks(ds)
    frames_with: Counter[str] = Counter()
    animals_with: Counter[str] = Counter()
    repeated = False
    for tracks in per_frame:
        given = [str(t) for t in tracks if t is not None]
        repeated |= len(set(given)) < len(given)
        frames_with.update(set(given))
        animals_with.update(given)
    if mode == "on":
        if len(frames_with) < 2:
            raise ValueError("identity: 'on' needs at least two track names in the labels, "
                             f"found {sorted(frames_with)}")
        return sorted(frames_with, key=_natural_key)
    labeled_frames = sum(1 for tracks in per_frame if tracks)
    animals = sum(len(tracks) for tracks in per_frame)
    floor = max(2, MIN_FRAME_FRACTION * labeled_frames)
    frequent = [n for n, c in frames_with.items() if c >= floor]
    covered = sum(animals_with[n] for n in frequent)
    consistent = (not repeated and 2 <= len(frequent) <= 2 * max(1, ds.max_instances)
                  and covered >= MIN_NAMED_FRACTION * max(animals, 1))
    return sorted(frequent, key=_natural_key) if consistent else []


def track_labels(ds: PoseDataset, names: Sequence[str], max_instances: int) -> np.ndarray:
    """``(N, I)`` int64 class index of every animal slot (as ``ds.keypoints(I)``), -1 for
    padding, unnamed animals and names that are not identities."""
    index = {n: t for t, n in enumerate(names)}
    out = np.full((len(ds), max_instances), -1, np.int64)
    for row, s in enumerate(ds.samples):
        tracks = (s.tracks or [])[:max_instances]
        out[row, :len(tracks)] = [index.get(str(t), -1) if t is not None else -1 for t in tracks]
    return out


def identity_features(bottleneck: Tensor) -> Tensor:
    """``(B, 2C)``: the bottleneck averaged over the whole crop and over its central half
    (the crop is centred on the animal to name; its neighbours sit at the edges)."""
    h, w = bottleneck.shape[-2:]
    centre = bottleneck[..., h // 4: h - h // 4, w // 4: w - w // 4]
    return torch.cat([bottleneck.mean(dim=(2, 3)), centre.mean(dim=(2, 3))], dim=1)


class IdentityUNet(UNet):
    """The centred-instance U-Net plus an identity head (see the module docstring)."""

    def __init__(self, cfg: UNetConfig, num_identities: int) -> None:
        super().__init__(cfg)
        width = round(cfg.filters * cfg.filters_rate**cfg.depth)
        self.identity_head = nn.Linear(2 * width, num_identities)

    @property
    def num_identities(self) -> int:
        return int(self.identity_head.out_features)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        """``x (B, C, H, W)`` -> maps (as :class:`UNet`) and identity logits ``(B, T)``."""
        maps, bottleneck = self.forward_features(x)
        return maps, self.identity_head(identity_features(bottleneck))


def build_instance_net(cfg: UNetConfig, identity: Sequence[str]) -> UNet:
    """The instance net: an :class:`IdentityUNet` with identities, else a plain U-Net."""
    return IdentityUNet(cfg, len(identity)) if identity else UNet(cfg)


def identity_loss(map_loss: Callable[[Tensor, Tensor, Tensor], Tensor],
                  weight: float) -> Callable[[Any, Any, Tensor], Tensor]:
    """A stage loss for ``(maps, logits)`` outputs and ``(confmaps, labels)`` targets:
    ``map_loss + weight * cross-entropy`` (animals without an identity, label -1, add none)."""

    def loss(output: tuple[Tensor, Tensor], target: tuple[Tensor, Tensor], mask: Tensor) -> Tensor:
        (maps, logits), (confmaps, labels) = output, target
        base = map_loss(maps, confmaps, mask)
        if not bool((labels >= 0).any()):
            return base + 0.0 * logits.sum()  # keeps the head in the graph
        return base + weight * F.cross_entropy(logits.float(), labels, ignore_index=-1)

    return loss


def identity_metrics(pred_points: np.ndarray, pred_instance_scores: np.ndarray,
                     identity_scores: np.ndarray, gt_points: np.ndarray,
                     gt_visibility: np.ndarray, gt_labels: np.ndarray,
                     names: Sequence[str]) -> dict[str, Any]:
    """Identity accuracy on held-out frames.

    Predictions and labeled animals are paired per frame by the distance of
    their centres (mean of the found / labeled nodes; Hungarian, closer than
    ``MATCH_DISTANCE`` of the animal's size: the prediction is on that animal,
    however well it placed the nodes); each prediction's identity is the
    per-frame Hungarian assignment on its probabilities (what the tracker does
    with window 0).

    Args:
        pred_points: ``(F, I, K, 2)``; pred_instance_scores ``(F, I)`` (0: empty slot).
        identity_scores: ``(F, I, T)`` probabilities.
        gt_points: ``(F, J, K, 2)``; gt_visibility ``(F, J, K)``.
        gt_labels: ``(F, J)`` identity index of each labeled animal, -1 none.
        names: the T identity names.

    Returns:
        ``identity_accuracy`` (matched animals with a labeled identity that get it),
        ``identity_top1_accuracy`` (the same with each animal's own argmax),
        ``identity_frame_accuracy`` (frames whose every labeled identity is found
        and right), the counts behind them and ``identity_names``; accuracies are
        None without a matched animal.
    """
    from ml_worker.tracking.identity import assign_identities, log_probabilities

    present = (np.asarray(pred_instance_scores) > 0) & np.isfinite(pred_points).all(-1).any(-1)
    assigned = assign_identities(log_probabilities(identity_scores), present)
    top1 = np.nan_to_num(identity_scores).argmax(-1)
    right = right_top1 = matched = frames = frames_right = 0
    for f in range(len(gt_points)):
        named = np.flatnonzero((gt_labels[f] >= 0) & (gt_visibility[f] > 0).any(-1))
        if not len(named):
            continue
        frames += 1
        slots = np.flatnonzero(present[f])
        pairs = _centre_pairs(pred_points[f, slots],
                              np.where((gt_visibility[f, named] > 0)[..., None],
                                       gt_points[f, named], np.nan))
        ok = [assigned[f, slots[d]] == gt_labels[f, named[g]] for d, g in pairs]
        right += sum(ok)
        right_top1 += sum(top1[f, slots[d]] == gt_labels[f, named[g]] for d, g in pairs)
        matched += len(pairs)
        frames_right += int(len(pairs) == len(named) and all(ok))
    return {
        "identity_accuracy": float(right) / matched if matched else None,
        "identity_top1_accuracy": float(right_top1) / matched if matched else None,
        "identity_frame_accuracy": frames_right / frames if frames else None,
        "identity_matched_instances": matched,
        "identity_frames": frames,
        "identity_names": list(names),
    }


def _centre_pairs(pred: np.ndarray, gt: np.ndarray) -> list[tuple[int, int]]:
    """``(prediction, labeled animal)`` pairs of ``(D, K, 2)`` and ``(J, K, 2)`` poses
    (NaN: no node): Hungarian on centre distance, each closer than ``MATCH_DISTANCE``
    of the animal's box diagonal."""
    if not len(pred) or not len(gt):
        return []
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pose without nodes: NaN centre
        pc, gc = np.nanmean(pred, axis=1), np.nanmean(gt, axis=1)
        size = np.linalg.norm(np.nanmax(gt, axis=1) - np.nanmin(gt, axis=1), axis=-1)
    dist = np.linalg.norm(pc[:, None] - gc[None], axis=-1)
    dist = np.where(np.isfinite(dist), dist, 1e9)
    rows, cols = linear_sum_assignment(dist)
    return [(int(d), int(g)) for d, g in zip(rows, cols, strict=True)
            if dist[d, g] < MATCH_DISTANCE * max(float(size[g]), 1.0)]
