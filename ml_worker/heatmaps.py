"""Confidence-map targets and sub-pixel peak finding (pure tensor functions).

Coordinates everywhere are pixels with pixel *centres* at integers (x right,
y down), the DeepLabCut/SLEAP convention. A map at output stride ``s`` has bin
``j`` covering input pixels ``[j*s, (j+1)*s)``, so bin ``j`` is centred at
input pixel ``j*s + (s-1)/2``; :func:`bin_to_px` and :func:`px_to_bin` convert.

Flow: :func:`make_confmaps` renders one unnormalised Gaussian (peak 1) per
keypoint for training; :func:`find_peaks` takes the argmax of each predicted
map and refines it by a local soft-argmax (integral regression) over a small
window around the argmax, which is unbiased for a symmetric peak as long as
the window covers the peak (radius ~3 sigma). Everything here is traceable,
so the same code runs inside exported TorchScript/ONNX graphs.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def px_to_bin(xy: Tensor, stride: int) -> Tensor:
    """Input-pixel coordinates -> map-bin coordinates (any shape ``(..., 2)``)."""
    return (xy - (stride - 1) / 2) / stride


def bin_to_px(xy: Tensor, stride: int) -> Tensor:
    """Map-bin coordinates -> input-pixel coordinates (any shape ``(..., 2)``)."""
    return xy * stride + (stride - 1) / 2


def make_confmaps(
    keypoints: Tensor, height: int, width: int, stride: int, sigma_px: float
) -> Tensor:
    """Gaussian confidence maps, one per keypoint.

    Args:
        keypoints: ``(B, K, 2)`` float, input pixels; NaN for unlabeled points
            (their map is all zeros).
        height: map height (input height / stride).
        width: map width (input width / stride).
        stride: output stride of the maps.
        sigma_px: Gaussian standard deviation in input pixels.

    Returns:
        ``(B, K, height, width)`` float32 maps with peak value 1.
    """
    xy = px_to_bin(keypoints.float(), stride)  # (B, K, 2)
    sigma = sigma_px / stride
    xs = torch.arange(width, dtype=torch.float32, device=keypoints.device)
    ys = torch.arange(height, dtype=torch.float32, device=keypoints.device)
    gx = torch.exp(-((xs - xy[..., 0:1]) ** 2) / (2 * sigma**2))  # (B, K, W)
    gy = torch.exp(-((ys - xy[..., 1:2]) ** 2) / (2 * sigma**2))  # (B, K, H)
    maps = gy[..., :, None] * gx[..., None, :]
    return torch.nan_to_num(maps, nan=0.0)


def window_radius(sigma_px: float, stride: int) -> int:
    """Soft-argmax window radius (bins) that covers +-3 sigma of a peak."""
    return max(1, math.ceil(3 * sigma_px / stride))


def find_peaks(maps: Tensor, stride: int, radius: int = 2) -> tuple[Tensor, Tensor]:
    """Global peak of each map, refined to sub-pixel precision.

    The refinement is a local soft-argmax: the centroid of the (non-negative)
    map values in the ``(2*radius+1)^2`` window centred on the argmax. The
    window is taken with a dense mask (no gather) so it exports to ONNX.

    Args:
        maps: ``(B, K, h, w)`` confidence maps.
        stride: output stride of the maps.
        radius: window half-size in bins.

    Returns:
        ``points`` ``(B, K, 2)`` in input pixels (x, y) and ``scores``
        ``(B, K)``, the map value at the argmax.
    """
    b, k, h, w = maps.shape
    flat = maps.reshape(b, k, h * w)
    scores, idx = flat.max(dim=-1)  # (B, K)
    iy = torch.div(idx, w, rounding_mode="floor").to(maps.dtype)
    ix = (idx - torch.div(idx, w, rounding_mode="floor") * w).to(maps.dtype)
    xs = torch.arange(w, dtype=maps.dtype, device=maps.device)
    ys = torch.arange(h, dtype=maps.dtype, device=maps.device)
    in_x = ((xs - ix[..., None]).abs() <= radius).to(maps.dtype)  # (B, K, w)
    in_y = ((ys - iy[..., None]).abs() <= radius).to(maps.dtype)  # (B, K, h)
    weights = maps.clamp(min=0) * in_y[..., :, None] * in_x[..., None, :]
    total = weights.sum(dim=(-1, -2))
    safe = total.clamp(min=1e-12)
    px = (weights.sum(dim=-2) * xs).sum(-1) / safe
    py = (weights.sum(dim=-1) * ys).sum(-1) / safe
    ok = total > 1e-12
    px = torch.where(ok, px, ix)
    py = torch.where(ok, py, iy)
    return bin_to_px(torch.stack([px, py], dim=-1), stride), scores
