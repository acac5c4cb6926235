"""U-Net confidence-map network, sized from the animal.

Flow: the training loop measures the animal in the labels (``animal_size_px``,
in the pixels the network sees), :func:`choose_unet` picks the shallowest
encoder whose receptive field covers that size (SLEAP's rule: a network that
can see the whole animal can use every part to place each keypoint), and
:func:`build_model` turns the resulting :class:`UNetConfig` into a plain torch
``nn.Module``. Nothing is downloaded: pretrained weights come only from a local
file, loaded with ``torch.load(weights_only=True)``.

The network maps images ``(B, C, H, W)`` with ``H`` and ``W`` multiples of
``max_stride`` to confidence maps ``(B, out_channels, H / output_stride,
W / output_stride)``. Output bin ``j`` covers input pixels ``[j*s, (j+1)*s)``,
so its centre is input pixel ``j*s + (s-1)/2`` (see :mod:`ml_worker.heatmaps`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F


@dataclass(frozen=True)
class UNetConfig:
    """Architecture of one U-Net (data only; :func:`build_model` builds it).

    Attributes:
        in_channels: image channels (3 for RGB).
        out_channels: confidence maps predicted (one per node, or 1 for a centroid).
        filters: channels of the first encoder block.
        filters_rate: channel growth per encoder level.
        max_stride: total encoder downsampling (a power of two, 2 ** depth).
        output_stride: stride of the output maps (a power of two <= max_stride).
        convs_per_block: 3x3 convolutions per block.
        batchnorm: BatchNorm after each convolution (faster convergence; slower
            per step on CPU).
    """

    in_channels: int = 3
    out_channels: int = 1
    filters: int = 16
    filters_rate: float = 2.0
    max_stride: int = 16
    output_stride: int = 2
    convs_per_block: int = 2
    batchnorm: bool = False

    def __post_init__(self) -> None:
        for name in ("max_stride", "output_stride"):
            value = getattr(self, name)
            if value < 1 or value & (value - 1):
                raise ValueError(f"{name} must be a power of two, got {value}")
        if self.output_stride > self.max_stride:
            raise ValueError(
                f"output_stride ({self.output_stride}) must be <= max_stride ({self.max_stride})"
            )

    @property
    def depth(self) -> int:
        """Number of downsampling levels."""
        return int(math.log2(self.max_stride))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def receptive_field(max_stride: int, convs_per_block: int = 2) -> int:
    """Receptive field (input pixels) of the deepest encoder unit.

    Each level adds ``convs_per_block`` 3x3 convolutions at its stride, then a
    2x2 max-pool; the bottleneck block runs at ``max_stride``.

    Args:
        max_stride: 2 ** depth.
        convs_per_block: 3x3 convolutions per block.

    Returns:
        The receptive field width in pixels.
    """
    rf, jump = 1, 1
    for _ in range(int(math.log2(max_stride))):
        rf += convs_per_block * 2 * jump  # 3x3 convs
        rf += jump  # 2x2 pool
        jump *= 2
    return rf + convs_per_block * 2 * jump


def choose_max_stride(animal_size_px: float, lo: int = 8, hi: int = 32) -> int:
    """Smallest power-of-two stride in ``[lo, hi]`` whose receptive field covers the animal.

    Args:
        animal_size_px: animal extent in network-input pixels.
        lo: smallest stride allowed.
        hi: largest stride allowed.

    Returns:
        max_stride.
    """
    stride = lo
    while stride < hi and receptive_field(stride) < animal_size_px:
        stride *= 2
    return stride


def choose_unet(
    *,
    animal_size_px: float,
    out_channels: int,
    filters: int,
    output_stride: int,
    in_channels: int = 3,
    filters_rate: float = 2.0,
    max_stride: int | None = None,
    batchnorm: bool = False,
) -> UNetConfig:
    """Architecture for an animal of a given size (depth from the receptive field).

    Args:
        animal_size_px: animal extent in network-input pixels.
        out_channels: maps to predict.
        filters: channels of the first block.
        output_stride: stride of the output maps.
        in_channels: image channels.
        filters_rate: channel growth per level.
        max_stride: force a stride instead of choosing it.

    Returns:
        The U-Net configuration.
    """
    stride = max_stride or choose_max_stride(animal_size_px, lo=max(8, output_stride))
    return UNetConfig(
        in_channels=in_channels,
        out_channels=out_channels,
        filters=filters,
        filters_rate=filters_rate,
        max_stride=stride,
        output_stride=output_stride,
        batchnorm=batchnorm,
    )


def _block(c_in: int, c_out: int, n_convs: int, batchnorm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n_convs):
        layers.append(nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class UNet(nn.Module):
    """Encoder-decoder with skip connections; outputs at ``output_stride``."""

    def __init__(self, cfg: UNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        widths = [round(cfg.filters * cfg.filters_rate**i) for i in range(cfg.depth + 1)]
        self.encoders = nn.ModuleList()
        c_in = cfg.in_channels
        for w in widths[:-1]:
            self.encoders.append(_block(c_in, w, cfg.convs_per_block, cfg.batchnorm))
            c_in = w
        self.bottleneck = _block(c_in, widths[-1], cfg.convs_per_block, cfg.batchnorm)
        n_up = cfg.depth - int(math.log2(cfg.output_stride))
        self.decoders = nn.ModuleList()
        c_in = widths[-1]
        for level in range(n_up):
            skip = widths[cfg.depth - 1 - level]
            self.decoders.append(_block(c_in + skip, skip, cfg.convs_per_block, cfg.batchnorm))
            c_in = skip
        self.head = nn.Conv2d(c_in, cfg.out_channels, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):  # He init keeps the signal alive without BatchNorm
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Confidence maps.

        Args:
            x: images ``(B, C, H, W)``, float, H and W multiples of ``max_stride``.

        Returns:
            Maps ``(B, out_channels, H / output_stride, W / output_stride)``.
        """
        return self.forward_features(x)[0]

    def forward_features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Maps (as :meth:`forward`) and the bottleneck activation
        ``(B, C, H / max_stride, W / max_stride)`` (for heads that read the whole crop)."""
        skips: list[Tensor] = []
        for enc in self.encoders:
            x = enc(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = bottleneck = self.bottleneck(x)
        for dec in self.decoders:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = dec(torch.cat([x, skips.pop()], dim=1))
        return self.head(x), bottleneck


def build_model(cfg: UNetConfig, weights_path: str | Path | None = None) -> UNet:
    """Build a U-Net, optionally warm-started from a local weights file.

    Args:
        cfg: architecture.
        weights_path: a local ``state_dict`` file (``torch.save``); tensors whose
            name and shape match are loaded, the rest keep their initialisation.

    Returns:
        The network (train mode, float32, CPU).
    """
    model = UNet(cfg)
    if weights_path is not None:
        load_matching_weights(model, torch.load(Path(weights_path), map_location="cpu",
                                                weights_only=True))
    return model


def load_matching_weights(model: nn.Module, state: dict[str, Tensor]) -> list[str]:
    """Copy every tensor of ``state`` whose name and shape match ``model``.

    Args:
        model: the network to update in place.
        state: a ``state_dict``.

    Returns:
        Names of the tensors that were loaded.
    """
    own = model.state_dict()
    loaded = [k for k, v in state.items() if k in own and own[k].shape == v.shape]
    own.update({k: state[k] for k in loaded})
    model.load_state_dict(own)
    return loaded
