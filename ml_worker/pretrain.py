"""Self-supervised encoder pretraining on a project's own, unlabeled video frames.

A lab labels a hundred frames of hours of video. The rest still shows what its
arena, lighting and animals look like, so the encoders of the pose U-Nets can
learn to see them before any label is used (DeepLabCut's transfer learning,
without downloading ImageNet weights).

Flow:

1. the worker decodes frames spread over the project's videos
   (``(H, W, 3)`` uint8, any sizes) and hands them over as an ``.npz``;
2. :func:`pretrain_encoder` fits a U-Net (``max_stride`` 32, the widths of the
   training config: ``filters`` and ``filters_rate``) to *masked-patch
   inpainting*: a random crop of a frame, rotated, zoomed and flipped like
   training crops, has ``mask_ratio`` of its ``mask_patch`` squares blanked,
   and the net redraws the crop at its output stride; the loss counts the
   blanked squares only, so the skip connections cannot just copy pixels and
   the encoder has to learn shapes and context. Zoom covers both the instance
   net's crops and the centroid net's pooled frames. Time-bounded, and
   ``should_stop`` is polled every step;
3. :func:`save_encoder` keeps the encoder per level, a level being one
   resolution's convolutions;
4. :func:`load_encoder` warm-starts any U-Net of the same widths: encoder
   level ``i`` from level ``i``, and the bottleneck of a net of depth ``d``
   from level ``d`` (the same convolution shapes, at the same stride). So a
   pretraining serves centroid and instance nets of every depth; the decoders
   and heads keep their initialisation.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ml_worker.augment import AugmentParams, affine_matrix, photometric, warp_images
from ml_worker.model import UNet, UNetConfig

FORMAT = "poseforge-encoder/1"
LOG_EVERY = 10  # steps per history entry
ProgressFn = Callable[[dict[str, Any]], None]
StopFn = Callable[[], bool]


@dataclass(frozen=True)
class PretrainConfig:
    """How the encoder is pretrained (data only).

    Attributes:
        max_seconds: wall-clock budget of the fit.
        max_steps: optimizer steps at most.
        batch_size: crops per step.
        crop_size: side of a crop, network pixels (a multiple of 32).
        min_zoom: smallest zoom (network px per frame px); crops are drawn
            between ``min_zoom`` and 1, like instance crops and pooled frames.
        mask_patch: side of a blanked square, network pixels.
        mask_ratio: share of squares blanked.
        learning_rate: AdamW peak rate (cosine decay).
        filters: channels of the first block (the training config's).
        filters_rate: channel growth per level (the training config's).
        max_stride: encoder depth as a stride; the deepest training net it serves.
        seed: random seed.
    """

    max_seconds: float = 180.0
    max_steps: int = 20000
    batch_size: int = 8
    crop_size: int = 64  # with batch 8: ~4x the steps of 96 x 16 in a CPU budget
    min_zoom: float = 0.33
    mask_patch: int = 8
    mask_ratio: float = 0.5
    learning_rate: float = 2e-3
    filters: int = 16
    filters_rate: float = 1.5
    max_stride: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if self.crop_size % self.max_stride:
            raise ValueError(f"crop_size must be a multiple of max_stride ({self.max_stride})")
        if not 0 < self.mask_ratio < 1:
            raise ValueError("mask_ratio must be in (0, 1)")
        if not 0 < self.min_zoom <= 1:
            raise ValueError("min_zoom must be in (0, 1]")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PretrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys refused)."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown pretraining setting(s): {sorted(unknown)}")
        return cls(**data)


@dataclass
class PretrainResult:
    """What :func:`pretrain_encoder` produced.

    Attributes:
        status: ``"completed"`` (all steps), ``"time_budget"`` or ``"cancelled"``.
        levels: per resolution level, its convolutions as ``{"weight", "bias"}``
            (see :func:`save_encoder`); empty when cancelled.
        steps: optimizer steps.
        seconds: wall-clock duration.
        history: ``{"step", "loss", "seconds"}`` every :data:`LOG_EVERY` steps.
    """

    status: str
    levels: list[list[dict[str, Tensor]]]
    steps: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def final_loss(self) -> float | None:
        """Mean loss of the last logged steps."""
        return self.history[-1]["loss"] if self.history else None


def reconstruction_net(cfg: PretrainConfig) -> UNet:
    """The U-Net that is pretrained: RGB in, RGB out at stride 2."""
    return UNet(UNetConfig(in_channels=3, out_channels=3, filters=cfg.filters,
                           filters_rate=cfg.filters_rate, max_stride=cfg.max_stride,
                           output_stride=2))


class _Crops:
    """Random augmented crops of a set of frames (padded into one uint8 tensor)."""

    def __init__(self, frames: Sequence[np.ndarray], cfg: PretrainConfig) -> None:
        if not frames:
            raise ValueError("frames: no frames to pretrain on")
        h = max(f.shape[0] for f in frames)
        w = max(f.shape[1] for f in frames)
        self.images = torch.zeros(len(frames), 3, h, w, dtype=torch.uint8)
        for i, f in enumerate(frames):
            self.images[i, :, :f.shape[0], :f.shape[1]] = torch.from_numpy(
                np.ascontiguousarray(f[..., :3])).permute(2, 0, 1)
        self.sizes = torch.tensor([[f.shape[1], f.shape[0]] for f in frames], dtype=torch.float32)
        self.cfg = cfg
        self.params = AugmentParams(brightness=0.2, contrast=0.2, noise_std=0.02)

    def batch(self, gen: torch.Generator) -> Tensor:
        """``(B, 3, crop, crop)`` float crops in [0, 1]."""
        cfg, n = self.cfg, self.cfg.batch_size
        idx = torch.randint(len(self.images), (n,), generator=gen)
        u = torch.rand(n, 5, generator=gen)
        zoom = cfg.min_zoom ** u[:, 0]  # log-uniform in [min_zoom, 1]
        angle = math.pi * (2 * u[:, 1] - 1)
        flip = u[:, 2] < 0.5
        centre = u[:, 3:5] * self.sizes[idx]
        c = (cfg.crop_size - 1) / 2
        m = affine_matrix(centre, torch.tensor([c, c]), zoom, angle, flip)
        x = warp_images(self.images[idx].float() / 255, m, cfg.crop_size, cfg.crop_size)
        return photometric(x, self.params, gen)


def patch_mask(n: int, cfg: PretrainConfig, gen: torch.Generator) -> Tensor:
    """``(n, 1, crop, crop)`` bool: True on the blanked squares."""
    side = cfg.crop_size // cfg.mask_patch + 1
    coarse = torch.rand(n, 1, side, side, generator=gen) < cfg.mask_ratio
    full = coarse.repeat_interleave(cfg.mask_patch, 2).repeat_interleave(cfg.mask_patch, 3)
    return full[..., :cfg.crop_size, :cfg.crop_size]


def inpainting_loss(net: nn.Module, x: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error of the redrawn crop on the blanked squares (at stride 2)."""
    fill = x.mean(dim=(2, 3), keepdim=True)
    pred = net(torch.where(mask, fill, x))
    target = F.avg_pool2d(x, 2)
    weight = F.avg_pool2d(mask.float(), 2)
    return ((pred - target) ** 2 * weight).sum() / (3 * weight.sum()).clamp(min=1.0)


def pretrain_encoder(
    frames: Sequence[np.ndarray],
    cfg: PretrainConfig,
    *,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    device: str = "cpu",
) -> PretrainResult:
    """Pretrain a U-Net encoder by masked-patch inpainting on ``frames``.

    Args:
        frames: ``(H, W, 3)`` uint8 RGB frames (sizes may differ).
        cfg: pretraining config.
        on_progress: called about once a second with ``{"stage": "pretrain",
            "fraction", "step", "loss", "elapsed_seconds", "eta_seconds"}``.
        should_stop: polled every step; True cancels (status ``"cancelled"``).
        device: torch device name.

    Returns:
        The encoder levels and how the fit went.
    """
    t0 = time.monotonic()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    crops = _Crops(frames, cfg)
    net = reconstruction_net(cfg).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.learning_rate, weight_decay=1e-4)
    history: list[dict[str, float]] = []
    losses: list[float] = []
    step, status, last_report = 0, "completed", 0.0
    while step < cfg.max_steps:
        if should_stop is not None and should_stop():
            return PretrainResult("cancelled", [], step, time.monotonic() - t0, history)
        elapsed = time.monotonic() - t0
        progress = max(step / cfg.max_steps, elapsed / cfg.max_seconds)
        if progress >= 1.0:
            status = "time_budget"
            break
        for group in opt.param_groups:
            warm = min(1.0, 0.05 + progress / 0.05)
            group["lr"] = cfg.learning_rate * warm * (0.01 + 0.99 * 0.5 * (1 + math.cos(
                math.pi * progress)))
        x = crops.batch(gen).to(device)
        loss = inpainting_loss(net, x, patch_mask(len(x), cfg, gen).to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % LOG_EVERY == 0:
            history.append({"step": step, "loss": float(np.mean(losses[-LOG_EVERY:])),
                            "seconds": time.monotonic() - t0})
        now = time.monotonic()
        if on_progress is not None and now - last_report >= 1.0:
            last_report = now
            on_progress({"stage": "pretrain", "fraction": min(progress, 1.0), "step": step,
                         "loss": float(np.mean(losses[-20:])), "elapsed_seconds": now - t0,
                         "eta_seconds": max(0.0, cfg.max_seconds - (now - t0))})
    if losses and (not history or history[-1]["step"] != step):
        tail = step % LOG_EVERY or LOG_EVERY
        history.append({"step": step, "loss": float(np.mean(losses[-tail:])),
                        "seconds": time.monotonic() - t0})
    return PretrainResult(status, encoder_levels(net.cpu()), step, time.monotonic() - t0, history)


def _convs(block: nn.Module) -> list[nn.Conv2d]:
    return [m for m in block.modules() if isinstance(m, nn.Conv2d)]


def encoder_levels(net: UNet) -> list[list[dict[str, Tensor]]]:
    """A U-Net's encoder as levels: ``encoders[0..d-1]`` then the bottleneck."""
    blocks = [*net.encoders, net.bottleneck]
    return [[{"weight": c.weight.detach().clone(),
              **({"bias": c.bias.detach().clone()} if c.bias is not None else {})}
             for c in _convs(b)] for b in blocks]


def save_encoder(path: str | Path, result: PretrainResult, cfg: PretrainConfig,
                 info: dict[str, Any] | None = None) -> Path:
    """Write the encoder levels, the config and ``info`` (JSON-ready) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "config": json.dumps(cfg.to_dict()),
                "info": json.dumps(info or {}), "levels": result.levels}, path)
    return path


def read_encoder(path: str | Path) -> dict[str, Any]:
    """A file of :func:`save_encoder` (tensors only, ``weights_only``)."""
    data = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a PoseForge encoder file")
    return data


def load_encoder(net: nn.Module, source: str | Path | dict[str, Any]) -> list[str]:
    """Warm-start a U-Net's encoder and bottleneck from a pretrained encoder.

    Level ``i`` fills ``encoders[i]``; the bottleneck of a net of depth ``d``
    takes level ``d``. A convolution is copied only where its shape matches
    (other widths, or a net deeper than the pretraining, keep their init);
    biases are skipped where the net has none (BatchNorm).

    Args:
        net: a :class:`ml_worker.model.UNet` (or subclass), changed in place.
        source: a path of :func:`save_encoder` or its loaded dict.

    Returns:
        Names (``state_dict`` keys) of the tensors that were loaded.
    """
    levels = (source if isinstance(source, dict) else read_encoder(source))["levels"]
    targets = [*net.encoders, net.bottleneck]
    names = {id(m): n for n, m in net.named_modules()}
    loaded: list[str] = []
    with torch.no_grad():
        for block, level in zip(targets, levels, strict=False):
            for conv, src in zip(_convs(block), level, strict=False):
                if conv.weight.shape != src["weight"].shape:
                    continue
                conv.weight.copy_(src["weight"])
                loaded.append(f"{names[id(conv)]}.weight")
                if conv.bias is not None and "bias" in src:
                    conv.bias.copy_(src["bias"])
                    loaded.append(f"{names[id(conv)]}.bias")
    return loaded


def frames_save(frames: Sequence[np.ndarray], path: str | Path) -> None:
    """Frames as one ``.npz`` of plain arrays (no pickle), for the guarded child."""
    np.savez(Path(path), **{f"frame_{i}": np.ascontiguousarray(f, dtype=np.uint8)
                            for i, f in enumerate(frames)})


def frames_load(path: str | Path) -> list[np.ndarray]:
    """Inverse of :func:`frames_save`."""
    with np.load(Path(path), allow_pickle=False) as data:
        return [data[f"frame_{i}"] for i in range(len(data.files))]


def pretrain_payload(payload: Path, emit: ProgressFn, should_stop: StopFn) -> dict[str, Any]:
    """Pretrain one platform job: the entry :mod:`ml_worker.guard` runs in a child.

    Args:
        payload: JSON ``{"config": PretrainConfig dict, "frames": frames_save() .npz,
            "out_path": where the encoder goes, "info": recorded with it}``.
        emit: progress callback.
        should_stop: the parent's cancel flag.

    Returns:
        ``{"status", "steps", "seconds", "initial_loss", "final_loss", "frames"}``.

    Raises:
        Cancelled: the run was cancelled; nothing is written.
    """
    from ml_worker.guard import Cancelled

    job = json.loads(Path(payload).read_text())
    cfg = PretrainConfig.from_dict(job["config"])
    frames = frames_load(job["frames"])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    result = pretrain_encoder(frames, cfg, on_progress=emit, should_stop=should_stop,
                              device=device)
    if result.status == "cancelled":
        raise Cancelled()
    save_encoder(job["out_path"], result, cfg, job.get("info"))
    return {"status": result.status, "steps": result.steps, "seconds": result.seconds,
            "initial_loss": result.history[0]["loss"] if result.history else None,
            "final_loss": result.final_loss, "frames": len(frames)}
