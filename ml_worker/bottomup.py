"""Bottom-up multi-animal pose model: every node of every animal at once, grouped by PAFs.

One U-Net sees the whole (rescaled) frame and outputs ``K`` confidence maps,
whose peaks are every animal's nodes, plus ``2E`` part affinity field channels,
which say which peaks belong together (:mod:`ml_worker.paf`). Unlike top-down
models its cost does not grow with the number of animals, and frames with no
animal or with animals touching need no special case.

Flow:

1. :func:`~ml_worker.bottomup_geometry.plan_bottomup` chooses the input scale,
   network depth, training patch and grouping bounds from the labels. The
   U-Net always has BatchNorm (``cfg.batchnorm`` is for the top-down nets):
   without it, maps with many peaks and signed fields sit on the "predict
   background" plateau for hundreds of steps (synthetic 2-3 animals, 40 s on
   CPU: validation loss 3.96 without, 0.80 with, despite fewer steps);
2. :class:`BottomUpModel` is traceable end to end: uint8 frames -> average-pool
   by an integer factor -> bilinear to the exact scale -> zero-pad to the
   encoder stride -> U-Net -> sigmoid confidence maps and raw fields;
3. :func:`fit` trains on augmented random patches
   (:mod:`ml_worker.bottomup_batches`) with a per-pixel cross-entropy on the
   maps (several peaks per map, so the single-animal spatial softmax does not
   apply) and a squared error on the fields, weighted towards the limbs; AdamW
   with the warmup + cosine schedule driven by the larger of steps and
   seconds, like :mod:`ml_worker.train`;
4. :func:`predict` runs the model on batches of frames and groups the peaks in
   vectorised numpy, returning NaN-padded ``(N, I, K, 2)`` arrays in frame
   pixels with per-node and per-instance scores.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ml_worker.augment import AugmentParams
from ml_worker.bottomup_batches import PatchBank, PatchSampler, bottomup_loss
from ml_worker.bottomup_geometry import BottomUpGeometry, plan_bottomup, to_network
from ml_worker.config import TrainConfig
from ml_worker.model import UNet
from ml_worker.paf import group_maps

CONFMAP_BIAS = -4.0  # sigmoid(-4) ~ 0.02: start near the empty background, like focal-loss detectors
HEAD_INIT_GAIN = 0.01  # near-zero first outputs: He-initialised heads start with huge field errors


class BottomUpModel(nn.Module):
    """Frames in, confidence maps and part affinity fields out.

    Attributes:
        net: the U-Net (``K + 2E`` output channels).
        geometry: how frames are rescaled and peaks grouped.
    """

    def __init__(self, geometry: BottomUpGeometry, net: UNet | None = None) -> None:
        super().__init__()
        self.geometry = geometry
        self.net = net if net is not None else UNet(geometry.unet)
        if net is None:
            with torch.no_grad():
                self.net.head.weight.mul_(HEAD_INIT_GAIN)
                self.net.head.bias[: geometry.num_nodes] = CONFMAP_BIAS
        self.num_nodes = geometry.num_nodes
        self.stride = geometry.unet.max_stride
        self.history: list[dict[str, Any]] = []

    def forward(self, frames: Tensor) -> tuple[Tensor, Tensor]:
        """Maps for a batch of frames.

        Args:
            frames: ``(N, H, W, 3)`` uint8 RGB.

        Returns:
            ``confmaps (N, K, h, w)`` in [0, 1] and ``pafs (N, 2E, h, w)``, at
            the output stride of the zero-padded, rescaled frame.
        """
        x = to_network(frames.permute(0, 3, 1, 2).float() / 255.0, self.geometry)
        h, w = x.shape[-2:]
        x = F.pad(x, (0, (-w) % self.stride, 0, (-h) % self.stride))
        out = self.net(x.contiguous(memory_format=torch.channels_last))
        return torch.sigmoid(out[:, : self.num_nodes]), out[:, self.num_nodes:]

    def to_dict(self) -> dict[str, Any]:
        """The geometry as JSON-ready data (save it with ``state_dict()``)."""
        return self.geometry.to_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BottomUpModel:
        """An untrained model of this geometry (then ``load_state_dict``)."""
        return cls(BottomUpGeometry.from_dict(data))


# ---------------------------------------------------------------- training loop

Emit = Callable[[dict[str, Any]], None]
Images = Sequence[np.ndarray]
Points = Sequence[np.ndarray]


def fit(
    images: Images,
    points: Points,
    *,
    node_names: list[str],
    edges: list[tuple[int, int]],
    symmetries: list[tuple[int, int]],
    cfg: TrainConfig,
    budget_s: float,
    device: torch.device,
    emit: Emit | None = None,
    should_stop: Callable[[], bool] | None = None,
    val: tuple[Images, Points] | None = None,
) -> BottomUpModel:
    """Train a bottom-up model within a wall-clock budget.

    Args:
        images: training frames ``(H, W, 3)`` uint8 (sizes may differ).
        points: per frame ``(I_f, K, 2)`` float32 labels, NaN = absent; a frame
            with no instance teaches background.
        node_names: K node names.
        edges: skeleton edges (completed to connect every node).
        symmetries: left/right node pairs swapped by flips.
        cfg: training config (optimiser, augmentation, network width, and
            ``input_scale`` / ``crop_size`` / ``max_stride`` overrides).
        budget_s: seconds for the whole call, data preparation included.
        device: where to train.
        emit: progress callback (about once a second and after each
            validation): ``{"stage", "epoch", "step", "total_steps", "fraction",
            "train_loss", "val_loss", "eta_seconds", "elapsed_seconds"}``.
        should_stop: polled every step.
        val: held-out frames and labels; the weights with the lowest validation
            loss are kept (else the last ones).

    Returns:
        The trained model (eval mode, on ``device``); ``model.history`` lists
        the validations.

    Raises:
        ml_worker.guard.Cancelled: ``should_stop()`` returned True.
        ValueError: no training frames.
    """
    from ml_worker.guard import Cancelled
    from ml_worker.train import lr_factor  # lazy: train.py imports this module

    t0 = time.monotonic()
    if not images:
        raise ValueError("fit: no training frames")
    frame_hw = (max(i.shape[0] for i in images), max(i.shape[1] for i in images))
    g = plan_bottomup(cfg, points, node_names=node_names, edges=edges, symmetries=symmetries,
                      frame_hw=frame_hw)
    torch.manual_seed(cfg.seed)
    model = BottomUpModel(g).to(device).to(memory_format=torch.channels_last)
    params = AugmentParams(cfg.aug_rotation_deg, cfg.aug_scale, cfg.aug_translate_px,
                           cfg.aug_brightness, cfg.aug_contrast, cfg.aug_noise_std,
                           cfg.aug_flip and bool(symmetries))
    train_s = PatchSampler(PatchBank.build(images, points, g), g, params, device)
    val_s = PatchSampler(PatchBank.build(*val, g), g, params, device) if val and len(val[0]) else None
    val_batches = [val_s.batch(torch.arange(i, min(i + 8, len(val[0]))), None)
                   for i in range(0, len(val[0]), 8)] if val_s and val else []
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate,
                            weight_decay=cfg.weight_decay)
    amp = device.type == "cuda" and cfg.amp
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(images)
    epoch_steps = max(1, math.ceil(n / cfg.batch_size))
    val_every = cfg.val_every_steps or max(epoch_steps, 20)
    budget = max(budget_s - (time.monotonic() - t0), 1.0)
    start, last_emit = time.monotonic(), 0.0
    best, best_state, bad, losses = math.inf, None, 0, []
    step = 0
    model.train()
    while step < cfg.max_steps:
        if should_stop is not None and should_stop():
            raise Cancelled()
        progress = max(step / cfg.max_steps, (time.monotonic() - start) / budget)
        if progress >= 1.0:
            break
        for group in opt.param_groups:
            group["lr"] = cfg.learning_rate * lr_factor(progress, cfg.schedule, cfg.warmup_fraction)
        idx = torch.randint(0, n, (cfg.batch_size,), generator=gen)
        x, conf, pafs, weight = train_s.batch(idx, gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model.net(x.contiguous(memory_format=torch.channels_last))
        loss = bottomup_loss(out, conf, pafs, weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        val_loss = None
        if val_batches and (step % val_every == 0):
            val_loss = _validate(model, val_batches, amp)
            model.history.append({"step": step, "train_loss": float(np.mean(losses[-val_every:])),
                                  "val_loss": val_loss, "seconds": time.monotonic() - t0})
            if val_loss < best:
                best, bad, best_state = val_loss, 0, copy.deepcopy(model.state_dict())
            else:
                bad += 1
            if progress >= 0.5 and bad >= cfg.early_stopping_patience:
                break
        now = time.monotonic()
        if emit is not None and (val_loss is not None or now - last_emit >= 1.0):
            last_emit = now
            fraction = min(1.0, max(step / cfg.max_steps, (now - start) / budget))
            emit({"stage": "bottom_up", "epoch": step // epoch_steps, "step": step,
                  "total_steps": max(step, round(step / fraction)) if fraction else 0,
                  "fraction": fraction, "train_loss": float(np.mean(losses[-20:])),
                  "val_loss": val_loss, "eta_seconds": max(0.0, t0 + budget_s - now),
                  "elapsed_seconds": now - t0})
    if val_batches and step % val_every:
        # judge the last steps too, or a short budget could keep the initial weights
        val_loss = _validate(model, val_batches, amp)
        model.history.append({"step": step, "train_loss": float(np.mean(losses[-20:])),
                              "val_loss": val_loss, "seconds": time.monotonic() - t0})
        if val_loss < best:
            best_state = None
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.eval()


def _validate(model: BottomUpModel, batches: list[tuple[Tensor, ...]], amp: bool) -> float:
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, conf, pafs, weight in batches:
            with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=amp):
                out = model.net(x.contiguous(memory_format=torch.channels_last))
            total += float(bottomup_loss(out, conf, pafs, weight)) * len(x)
    model.train()
    return total / sum(len(b[0]) for b in batches)


# ---------------------------------------------------------------- inference


def predict(
    model: BottomUpModel,
    frames: np.ndarray,
    *,
    max_instances: int | None = None,
    peak_threshold: float = 0.2,
    min_instance_peaks: int = 2,
    min_edge_score: float = 0.05,
    batch_size: int = 16,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detect and group every animal in frames.

    Args:
        model: a trained model (any device; inputs follow its parameters).
        frames: ``(N, H, W, 3)`` uint8.
        max_instances: keep at most this many instances per frame (best first).
        peak_threshold: lowest confidence-map peak taken as a node.
        min_instance_peaks: instances with fewer nodes are dropped.
        min_edge_score: lowest PAF line score accepted as a connection.
        batch_size: frames per forward pass.

    Returns:
        ``points (N, I, K, 2)`` float32 frame pixels, NaN-padded, instances in
        decreasing score order; ``scores (N, I, K)`` peak values (NaN where no
        node); ``instance_scores (N, I)`` in [0, 1] (NaN for padding). ``I`` is
        the most instances found in one frame (0 when none).
    """
    g = model.geometry
    k = g.num_nodes
    device = next(model.parameters()).device
    model.eval().to(memory_format=torch.channels_last)
    frames = np.asarray(frames)
    n, h, w = frames.shape[:3]
    stride = g.unet.output_stride
    factor = g.frame_to_network(h, w)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
        (np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32), np.zeros(0, np.float32))
    ] * n
    for start in range(0, n, batch_size):
        batch = torch.from_numpy(np.require(frames[start:start + batch_size], requirements=["C", "W"]))
        with torch.inference_mode():
            conf, pafs = model(batch.to(device))
        peaks, asm = group_maps(conf.float(), pafs.float().cpu().numpy(), g.edges,
                                [e / stride for e in g.max_edge_px], peak_threshold=peak_threshold,
                                min_edge_score=min_edge_score, min_peaks=min_instance_peaks)
        have = asm.peak_ids >= 0
        ids = np.maximum(asm.peak_ids, 0)
        net_px = peaks.xy[ids] * stride + (stride - 1) / 2
        pts = np.where(have[..., None], (net_px + 0.5) / factor - 0.5, np.nan).astype(np.float32)
        node_scores = np.where(have, peaks.score[ids], np.nan).astype(np.float32)
        for f in range(len(batch)):
            sel = np.flatnonzero(asm.frame == f)
            sel = sel[np.argsort(-asm.score[sel], kind="stable")][:max_instances]
            found[start + f] = (pts[sel], node_scores[sel], asm.score[sel])
    return _pad(found, k)


def _pad(found: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
         k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_inst = max([len(f[2]) for f in found] + [0])
    points = np.full((len(found), n_inst, k, 2), np.nan, np.float32)
    scores = np.full((len(found), n_inst, k), np.nan, np.float32)
    inst = np.full((len(found), n_inst), np.nan, np.float32)
    for i, (p, s, sc) in enumerate(found):
        points[i, : len(sc)], scores[i, : len(sc)], inst[i, : len(sc)] = p, s, sc
    return points, scores, inst
