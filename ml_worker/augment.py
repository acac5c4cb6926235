"""Affine warps and augmentation, in torch (no torchvision, no albumentations).

Flow: every training image passes through one affine warp that does the crop
(or the downscale) *and* the geometric augmentation at once: a 3x3 matrix
maps source pixels to output pixels, :func:`warp_images` samples the output
with ``grid_sample`` (bilinear), and :func:`transform_points` moves the
keypoints with the same matrix, so labels follow images exactly. A flip
mirrors x and swaps symmetric nodes (:func:`flip_permutation`). Photometric
changes (brightness, contrast, noise) come last. Inference uses the same warp
without randomness, so training and inference crops are pixel-identical.

Pixel centres are at integer coordinates (see :mod:`ml_worker.heatmaps`).
All randomness comes from a ``torch.Generator`` so runs are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F


@dataclass(frozen=True)
class AugmentParams:
    """Ranges of the random augmentation (0 disables a transform)."""

    rotation_deg: float = 0.0
    scale: float = 0.0
    translate_px: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    noise_std: float = 0.0
    flip: bool = False


def affine_matrix(
    src_center: Tensor, dst_center: Tensor, scale: Tensor, angle: Tensor, flip: Tensor
) -> Tensor:
    """Matrices mapping source pixels to output pixels.

    ``dst = dst_center + scale * Flip @ Rot(angle) @ (src - src_center)``.

    Args:
        src_center: ``(B, 2)`` source point that lands on ``dst_center``.
        dst_center: ``(B, 2)`` or ``(2,)`` output point.
        scale: ``(B,)`` zoom (output px per source px).
        angle: ``(B,)`` rotation in radians (counter-clockwise on screen).
        flip: ``(B,)`` bool, mirror x after rotating.

    Returns:
        ``(B, 3, 3)`` float32 matrices.
    """
    b = src_center.shape[0]
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    sign = 1.0 - 2.0 * flip.float()
    m = torch.zeros(b, 3, 3, dtype=torch.float32, device=src_center.device)
    m[:, 0, 0], m[:, 0, 1] = sign * cos, sign * sin
    m[:, 1, 0], m[:, 1, 1] = -sin, cos
    m[:, 2, 2] = 1.0
    shift = torch.einsum("bij,bj->bi", m[:, :2, :2], src_center.float())
    m[:, :2, 2] = dst_center.float().expand(b, 2) - shift
    return m


def transform_points(points: Tensor, matrix: Tensor) -> Tensor:
    """Apply affine matrices to points.

    Args:
        points: ``(B, K, 2)`` (NaN stays NaN).
        matrix: ``(B, 3, 3)`` or ``(B, 2, 3)``.

    Returns:
        ``(B, K, 2)`` transformed points.
    """
    return points @ matrix[:, :2, :2].transpose(1, 2) + matrix[:, None, :2, 2]


def sampling_grid(dst_to_src: Tensor, out_h: int, out_w: int, src_h: int, src_w: int) -> Tensor:
    """``grid_sample`` grid for output pixels mapped into a source image.

    Args:
        dst_to_src: ``(B, 3, 3)`` or ``(B, 2, 3)``: output px -> source px.
        out_h: output height.
        out_w: output width.
        src_h: source height.
        src_w: source width.

    Returns:
        ``(B, out_h, out_w, 2)`` normalised coordinates (``align_corners=False``).
    """
    ys = torch.arange(out_h, dtype=torch.float32, device=dst_to_src.device)
    xs = torch.arange(out_w, dtype=torch.float32, device=dst_to_src.device)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    pix = torch.stack([gx, gy], dim=-1).reshape(1, out_h * out_w, 2)
    src = transform_points(pix.expand(dst_to_src.shape[0], -1, -1), dst_to_src)
    norm = (2 * src + 1) / torch.tensor([src_w, src_h], dtype=torch.float32,
                                         device=src.device) - 1
    return norm.reshape(-1, out_h, out_w, 2)


def warp_images(images: Tensor, src_to_dst: Tensor, out_h: int, out_w: int) -> Tensor:
    """Resample images through affine matrices (zeros outside the source).

    Args:
        images: ``(B, C, H, W)`` float.
        src_to_dst: ``(B, 3, 3)`` source px -> output px.
        out_h: output height.
        out_w: output width.

    Returns:
        ``(B, C, out_h, out_w)``.
    """
    grid = sampling_grid(torch.linalg.inv(src_to_dst), out_h, out_w, *images.shape[-2:])
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def flip_permutation(num_nodes: int, symmetries: Sequence[tuple[int, int]]) -> list[int]:
    """Node order after a horizontal flip (symmetric pairs swapped).

    Args:
        num_nodes: K.
        symmetries: index pairs.

    Returns:
        ``perm`` such that ``flipped_keypoints = keypoints[perm]``.
    """
    perm = list(range(num_nodes))
    for a, b in symmetries:
        perm[a], perm[b] = b, a
    return perm


def random_geometry(
    n: int, params: AugmentParams, generator: torch.Generator
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Draw random geometric augmentations.

    Args:
        n: batch size.
        params: ranges.
        generator: torch RNG.

    Returns:
        ``scale (n,)``, ``angle (n,)`` radians, ``flip (n,)`` bool and
        ``shift (n, 2)`` source-pixel offsets of the centre.
    """
    u = torch.rand(n, 5, generator=generator)
    scale = 1 + params.scale * (2 * u[:, 0] - 1)
    angle = math.radians(params.rotation_deg) * (2 * u[:, 1] - 1)
    flip = (u[:, 2] < 0.5) & params.flip
    shift = params.translate_px * (2 * u[:, 3:5] - 1)
    return scale, angle, flip, shift


def photometric(images: Tensor, params: AugmentParams, generator: torch.Generator) -> Tensor:
    """Random brightness, contrast and Gaussian noise on images in [0, 1].

    Args:
        images: ``(B, C, H, W)`` float in [0, 1].
        params: ranges.
        generator: torch RNG.

    Returns:
        ``(B, C, H, W)`` clipped to [0, 1].
    """
    b = images.shape[0]
    u = torch.rand(b, 2, 1, 1, 1, generator=generator)
    contrast = 1 + params.contrast * (2 * u[:, 0] - 1)
    brightness = params.brightness * (2 * u[:, 1] - 1)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    out = (images - mean) * contrast + mean + brightness
    if params.noise_std > 0:
        out = out + params.noise_std * torch.randn(images.shape, generator=generator)
    return out.clamp(0, 1)
