"""Bottom-up multi-animal pose model: every node of every animal at once, grouped by PAFs.

One U-Net sees the whole (rescaled) frame and outputs ``K`` confidence maps,
whose peaks are every animal's nodes, plus ``2E`` part affinity field channels,
which say which peaks belong together (:mod:`ml_worker.paf`). Unlike top-down
models its cost does not grow with the number of animals, and frames with no
animal or with animals touching need no special case.

Flow:

1. :func:`plan_bottomup` reads the labels: the typical animal size picks the
   input scale (animals come out about :data:`ANIMAL_TARGET_PX` network pixels
   long, never upsampled), the larger animals pick the encoder depth
   (receptive field), the longest labeled edges bound the line lengths the
   grouping accepts, and a skeleton that does not connect every node is
   completed with a minimum spanning tree. The U-Net always has BatchNorm
   (``cfg.batchnorm`` is for the top-down nets): without it, maps with many
   peaks and signed fields sit on the "predict background" plateau for hundreds
   of steps (synthetic 2-3 animals, 40 s on CPU: validation loss 3.96 without,
   0.80 with, despite fewer steps);
2. :class:`BottomUpModel` is traceable end to end: uint8 frames -> average-pool
   by an integer factor -> bilinear to the exact scale -> zero-pad to the
   encoder stride -> U-Net -> sigmoid confidence maps and raw fields;
3. :func:`fit` trains on random patches (about three animals wide, at most
   :data:`MAX_PATCH` network pixels square) of frames rescaled
   once, with the shared augmentation warps (:mod:`ml_worker.augment`:
   rotation, zoom, flip with symmetric nodes swapped, photometric), a per-pixel
   cross-entropy on the maps (soft Gaussian targets with several peaks per map,
   so the single-animal spatial softmax does not apply) and a squared error on
   the fields, weighted towards the limbs; AdamW with the warmup + cosine schedule driven by the larger of
   steps and seconds, like :mod:`ml_worker.train`;
4. :func:`predict` runs the model on batches of frames and groups the peaks in
   vectorised numpy, returning NaN-padded ``(N, I, K, 2)`` arrays in frame
   pixels with per-node and per-instance scores.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ml_worker.augment import (
    AugmentParams,
    affine_matrix,
    flip_permutation,
    photometric,
    random_geometry,
    transform_points,
    warp_images,
)
from ml_worker.config import TrainConfig
from ml_worker.model import UNet, UNetConfig, choose_unet
from ml_worker.paf import complete_edges, group_maps, make_multi_confmaps, make_pafs

ANIMAL_TARGET_PX = 48.0
MAX_PATCH = 256
CONFMAP_BIAS = -4.0  # sigmoid(-4) ~ 0.02: start near the empty background, like focal-loss detectors
HEAD_INIT_GAIN = 0.01  # near-zero first outputs: He-initialised heads start with huge field errors
PAF_POSITIVE_WEIGHT = 9.0  # extra weight on field pixels near a limb; else "all zero" is a plateau


@dataclass(frozen=True)
class BottomUpGeometry:
    """Everything needed to rebuild a bottom-up model (stored as JSON next to its weights).

    Attributes:
        node_names: K node names.
        edges: (source, destination) node indices of the fields, skeleton
            edges plus any added to connect every node.
        symmetries: left/right node pairs (swapped by flips).
        input_scale: network pixels per frame pixel.
        sigma_px: confidence-map Gaussian sigma, network pixels.
        paf_sigma_px: field half-width, network pixels.
        max_edge_px: per edge, the longest plausible length in network pixels.
        patch_size: side of the square training patches, network pixels.
        animal_size_px: median labeled animal extent, frame pixels.
        unet: the network.
    """

    node_names: list[str]
    edges: list[tuple[int, int]]
    symmetries: list[tuple[int, int]]
    input_scale: float
    sigma_px: float
    paf_sigma_px: float
    max_edge_px: list[float]
    patch_size: int
    animal_size_px: float
    unet: UNetConfig

    @property
    def num_nodes(self) -> int:
        return len(self.node_names)

    @property
    def pool(self) -> int:
        """Integer average-pooling factor applied before the bilinear resize."""
        return max(1, int(1.0 / self.input_scale + 1e-6))

    def network_hw(self, height: int, width: int) -> tuple[int, int]:
        """Size of a ``height x width`` frame once rescaled (before padding)."""
        return max(1, round(height * self.input_scale)), max(1, round(width * self.input_scale))

    def frame_to_network(self, height: int, width: int) -> np.ndarray:
        """Per-axis factors ``k`` with ``network_px = (frame_px + 0.5) * k - 0.5`` (x, y)."""
        nh, nw = self.network_hw(height, width)
        p = self.pool
        return np.array([nw / (p * (width // p)), nh / (p * (height // p))], np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        out["kind"] = "bottom_up"
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BottomUpGeometry:
        """Inverse of :meth:`to_dict`."""
        values = {k: v for k, v in data.items() if k != "kind"}
        values["edges"] = [tuple(e) for e in values["edges"]]
        values["symmetries"] = [tuple(s) for s in values["symmetries"]]
        values["unet"] = UNetConfig(**values["unet"])
        return cls(**values)


def plan_bottomup(
    cfg: TrainConfig,
    points: Sequence[np.ndarray],
    *,
    node_names: Sequence[str],
    edges: Sequence[tuple[int, int]],
    symmetries: Sequence[tuple[int, int]],
    frame_hw: tuple[int, int],
) -> BottomUpGeometry:
    """Choose the input scale, network and grouping bounds from the labels.

    Args:
        cfg: training config (``input_scale``, ``crop_size``, ``max_stride``
            override the choices).
        points: per frame ``(I, K, 2)`` labels in frame pixels, NaN = absent.
        node_names: K names.
        edges: skeleton edges (may be empty).
        symmetries: symmetric node pairs.
        frame_hw: (height, width) of the largest training frame.

    Returns:
        The geometry.
    """
    k = len(node_names)
    instances = [np.asarray(p, np.float64).reshape(-1, k, 2) for p in points]
    flat = np.concatenate(instances) if instances else np.zeros((0, k, 2))
    extent = np.nanmax(flat, 1) - np.nanmin(flat, 1) if len(flat) else np.zeros((0, 2))
    size = np.nanmax(extent, 1) if len(extent) else np.zeros(0)
    size = size[np.isfinite(size) & (size > 0)]
    animal = float(np.median(size)) if size.size else 32.0
    large = float(np.percentile(size, 90)) if size.size else animal
    scale = cfg.input_scale or min(1.0, max(1 / 16, round(ANIMAL_TARGET_PX / animal * 8) / 8))
    used = complete_edges(edges, instances, k)
    unet = choose_unet(animal_size_px=large * scale, out_channels=k + 2 * len(used),
                       filters=cfg.filters, filters_rate=cfg.filters_rate,
                       output_stride=cfg.output_stride, max_stride=cfg.max_stride,
                       batchnorm=True)
    stretch = 1.25 * (1 + cfg.aug_scale)
    max_edge = []
    for s, d in used:
        lengths = np.linalg.norm(flat[:, s] - flat[:, d], axis=-1) if len(flat) else np.zeros(0)
        lengths = lengths[np.isfinite(lengths)]
        longest = float(lengths.max()) if lengths.size else large
        max_edge.append(longest * scale * stretch + 2 * cfg.output_stride)
    ms = unet.max_stride
    side = max(round(frame_hw[0] * scale), round(frame_hw[1] * scale))
    # patches about three animals wide: small steps are many steps, and on CPU
    # the step count, not the context, limits a short run
    patch = cfg.crop_size or min(side, MAX_PATCH, max(64, round(3 * large * scale)))
    patch = max(ms, int(math.ceil(patch / ms) * ms))
    return BottomUpGeometry(
        node_names=list(node_names), edges=used, symmetries=[tuple(s) for s in symmetries],
        input_scale=float(scale), sigma_px=cfg.sigma_px, paf_sigma_px=cfg.sigma_px,
        max_edge_px=max_edge, patch_size=patch, animal_size_px=animal, unet=unet,
    )


def to_network(images: Tensor, geometry: BottomUpGeometry) -> Tensor:
    """Rescale float images ``(B, C, H, W)`` to the network scale (no padding)."""
    h, w = images.shape[-2:]
    if geometry.pool > 1:
        images = F.avg_pool2d(images, geometry.pool)
    size = geometry.network_hw(int(h), int(w))
    if tuple(images.shape[-2:]) != size:
        images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
    return images


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


# ---------------------------------------------------------------- training data


@dataclass
class _Bank:
    """Training frames rescaled once, with labels in network pixels.

    ``images (F, 3, H, W)`` uint8 zero-padded, ``points (F, I, K, 2)`` with each
    frame's labeled instances first, ``counts (F,)`` labeled instances,
    ``centroids (F, I, 2)``, ``hw (F, 2)`` the rescaled sizes.
    """

    images: Tensor
    points: Tensor
    counts: Tensor
    centroids: Tensor
    hw: Tensor

    @classmethod
    def build(cls, images: Sequence[np.ndarray], points: Sequence[np.ndarray],
              g: BottomUpGeometry) -> _Bank:
        k = g.num_nodes
        nets, pts = [], []
        for img, p in zip(images, points, strict=True):
            x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float() / 255
            nets.append((to_network(x, g)[0] * 255).round().to(torch.uint8))
            p = np.asarray(p, np.float64).reshape(-1, k, 2)
            p = p[np.isfinite(p).all(-1).any(-1)]  # labeled instances only
            pts.append((p + 0.5) * g.frame_to_network(*img.shape[:2]) - 0.5)
        n_inst = max([len(p) for p in pts] + [1])
        h = max(x.shape[1] for x in nets)
        w = max(x.shape[2] for x in nets)
        bank = torch.zeros(len(nets), 3, h, w, dtype=torch.uint8)
        kp = torch.full((len(nets), n_inst, k, 2), float("nan"))
        for i, (x, p) in enumerate(zip(nets, pts, strict=True)):
            bank[i, :, : x.shape[1], : x.shape[2]] = x
            kp[i, : len(p)] = torch.from_numpy(p).float()
        centroids = torch.nan_to_num(kp.nanmean(dim=2))
        counts = torch.tensor([len(p) for p in pts])
        hw = torch.tensor([[x.shape[1], x.shape[2]] for x in nets], dtype=torch.float32)
        return cls(bank, kp, counts, centroids, hw)


@dataclass
class _Sampler:
    """Turns frame indices into augmented patches and their targets."""

    bank: _Bank
    g: BottomUpGeometry
    params: AugmentParams
    device: torch.device
    perm: Tensor = field(init=False)
    edges: Tensor = field(init=False)

    def __post_init__(self) -> None:
        self.perm = torch.tensor(flip_permutation(self.g.num_nodes, self.g.symmetries))
        self.edges = torch.tensor(self.g.edges, dtype=torch.long).reshape(-1, 2)

    def centres(self, idx: Tensor, gen: torch.Generator) -> Tensor:
        """Patch centres: the frame centre when the patch covers the frame, else
        mostly a labeled animal (so patches rarely miss them) and sometimes anywhere."""
        b, p = len(idx), self.g.patch_size
        hw = self.bank.hw[idx]
        u = torch.rand(b, 6, generator=gen)
        anywhere = u[:, 0:2] * hw.flip(-1)
        counts = self.bank.counts[idx]
        pick = (u[:, 2] * counts).long().clamp(max=self.bank.points.shape[1] - 1)
        animal = self.bank.centroids[idx, pick] + (u[:, 3:5] - 0.5) * p / 2
        centre = torch.where(((counts > 0) & (u[:, 5] < 0.7))[:, None], animal, anywhere)
        whole = (hw <= p).all(-1, keepdim=True)
        shift = self.params.translate_px * (2 * u[:, 3:5] - 1)
        return torch.where(whole, (hw.flip(-1) - 1) / 2 + shift, centre)

    def batch(self, idx: Tensor, gen: torch.Generator | None) -> tuple[Tensor, ...]:
        """``(x, confmap targets, paf targets, paf weights)``; ``gen=None``: no augmentation."""
        b, p = len(idx), self.g.patch_size
        if gen is None:
            hw = self.bank.hw[idx]
            first = self.bank.centroids[idx, 0]
            whole = (hw <= p).all(-1, keepdim=True) | (self.bank.counts[idx] == 0)[:, None]
            centre = torch.where(whole, (hw.flip(-1) - 1) / 2, first)
            scale, angle, flip = torch.ones(b), torch.zeros(b), torch.zeros(b, dtype=torch.bool)
        else:
            centre = self.centres(idx, gen)
            scale, angle, flip, _ = random_geometry(b, self.params, gen)
        images, pts, centre = self._windows(idx, centre, scale)
        m = affine_matrix(centre, torch.full((2,), (p - 1) / 2), scale, angle, flip)
        x = warp_images(images.float() / 255, m, p, p)
        n_inst, k = pts.shape[1:3]
        pts = transform_points(pts.reshape(b, n_inst * k, 2), m).reshape(b, n_inst, k, 2)
        pts = torch.where(flip[:, None, None, None], pts[:, :, self.perm], pts)
        if gen is not None:
            x = photometric(x, self.params, gen)
        s, side = self.g.unet.output_stride, p // self.g.unet.output_stride
        conf = make_multi_confmaps(pts, side, side, s, self.g.sigma_px)
        pafs, weight = make_pafs(pts, self.edges, side, side, s, self.g.paf_sigma_px)
        return tuple(t.to(self.device) for t in (x, conf, pafs, weight))

    def _windows(self, idx: Tensor, centre: Tensor, scale: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Cut the part of each frame a patch can reach (so big frames are not warped whole)."""
        images, pts = self.bank.images[idx], self.bank.points[idx]
        p, (h, w) = self.g.patch_size, images.shape[-2:]
        side = int(math.ceil(p * math.sqrt(2) / float(scale.min()))) + 4
        if side >= max(h, w):
            return images, pts, centre
        out = torch.zeros(len(idx), 3, side, side, dtype=torch.uint8)
        corner = (centre - side / 2).round()
        for i, (x0, y0) in enumerate(corner.long().tolist()):
            xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
            if xb > xa and yb > ya:
                out[i, :, ya - y0:yb - y0, xa - x0:xb - x0] = images[i, :, ya:yb, xa:xb]
        return out, pts - corner[:, None, None], centre - corner


def bottomup_loss(out: Tensor, conf: Tensor, pafs: Tensor, weight: Tensor) -> Tensor:
    """Binary cross-entropy on the maps plus weighted squared error on the fields.

    (A quality focal loss on the maps learned node identities more slowly: its
    small weight on half-confident wrong peaks left every node's map firing on
    every part after 150 steps.) Both terms are normalised by the mass of their targets, so they stay of order
    one whatever the number of animals; an empty batch still learns background.

    Args:
        out: ``(B, K + 2E, h, w)`` raw network output.
        conf: ``(B, K, h, w)`` Gaussian targets.
        pafs: ``(B, 2E, h, w)`` field targets.
        weight: ``(B, E, h, w)`` field magnitudes.

    Returns:
        Scalar loss.
    """
    k = conf.shape[1]
    logits = out[:, :k].float()
    bce = F.binary_cross_entropy_with_logits(logits, conf, reduction="none")
    conf_loss = bce.sum() / conf.sum().clamp(min=1.0)
    emphasis = 1.0 + PAF_POSITIVE_WEIGHT * weight.repeat_interleave(2, dim=1)
    paf_loss = ((out[:, k:].float() - pafs).pow(2) * emphasis).sum() / weight.sum().clamp(min=1.0)
    return conf_loss + paf_loss


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
    train_s = _Sampler(_Bank.build(images, points, g), g, params, device)
    val_s = _Sampler(_Bank.build(*val, g), g, params, device) if val and len(val[0]) else None
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
        batch = torch.from_numpy(np.ascontiguousarray(frames[start:start + batch_size]))
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
