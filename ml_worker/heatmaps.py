"""Confidence-map targets and sub-pixel peak finding (pure tensor functions).

Coordinates everywhere are pixels with pixel *centres* at integers (x right,
y down), the DeepLabCut/SLEAP convention. A map at output stride ``s`` has bin
``j`` covering input pixels ``[j*s, (j+1)*s)``, so bin ``j`` is centred at
input pixel ``j*s + (s-1)/2``; :func:`bin_to_px` and :func:`px_to_bin` convert.

Flow: :func:`make_confmaps` renders one unnormalised Gaussian (peak 1) per
keypoint. The networks are trained with a *spatial* cross-entropy
(:func:`spatial_cross_entropy`: each map's softmax over pixels against the
Gaussian normalised to sum 1), which unlike a per-pixel MSE has no "predict
zero everywhere" plateau and converges in tens of steps on a few frames;
:func:`logits_to_confmaps` turns the logits back into maps whose peak is about
1 for a confident, well-shaped prediction. :func:`find_peaks` takes the argmax of each predicted
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


def spatial_cross_entropy(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Cross-entropy between each map's spatial softmax and its normalised target.

    Args:
        logits: ``(B, K, h, w)`` network output.
        target: ``(B, K, h, w)`` Gaussian maps (:func:`make_confmaps`).
        mask: ``(B, K)`` 1 for labeled points; maps whose target is empty
            (point outside the input) are ignored too.

    Returns:
        Scalar mean loss over the counted maps.
    """
    b, k = logits.shape[:2]
    mass = target.sum(dim=(-1, -2))
    weight = mask * (mass > 1e-3).to(mask.dtype)
    dist = target / mass.clamp(min=1e-6)[..., None, None]
    logp = torch.log_softmax(logits.reshape(b, k, -1), dim=-1)
    ce = -(dist.reshape(b, k, -1) * logp).sum(dim=-1)
    return (ce * weight).sum() / weight.sum().clamp(min=1)


def logits_to_confmaps(logits: Tensor, sigma_px: float, stride: int) -> Tensor:
    """Spatial softmax scaled so that a perfect Gaussian prediction peaks at 1.

    Args:
        logits: ``(B, K, h, w)``.
        sigma_px: training Gaussian sigma in input pixels.
        stride: output stride.

    Returns:
        ``(B, K, h, w)`` non-negative maps.
    """
    b, k, h, w = logits.shape
    sigma = sigma_px / stride
    probs = torch.softmax(logits.reshape(b, k, h * w), dim=-1).reshape(b, k, h, w)
    return probs * (2 * math.pi * sigma**2)


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


def find_local_peaks(maps: Tensor, stride: int, count: int, threshold: float,
                     nms_radius: int, radius: int = 2) -> tuple[Tensor, Tensor]:
    """Up to ``count`` separate peaks of one map per image, refined to sub-pixel.

    A bin is a peak when it is the maximum of the ``(2*nms_radius+1)^2`` window
    around it (non-maximum suppression by max-pooling, so two peaks are at least
    ``nms_radius`` bins apart) and above ``threshold``. The best ``count`` peaks
    are kept; the output size is fixed (padded), so the graph traces to
    TorchScript/ONNX. Refinement is the local soft-argmax of :func:`find_peaks`.

    Args:
        maps: ``(B, 1, h, w)`` confidence maps.
        stride: output stride of the maps.
        count: peaks per image (the padded size).
        threshold: minimum peak value.
        nms_radius: suppression radius in bins.
        radius: refinement window half-size in bins.

    Returns:
        ``points (B, count, 2)`` in input pixels (NaN for padding) and
        ``scores (B, count)`` (0 for padding), best first.
    """
    b, _, h, w = maps.shape
    pooled = torch.nn.functional.max_pool2d(maps, 2 * nms_radius + 1, stride=1,
                                            padding=nms_radius)
    keep = (maps >= pooled) & (maps > threshold)
    candidates = torch.where(keep, maps, torch.zeros_like(maps)).reshape(b, h * w)
    scores, idx = candidates.topk(min(count, h * w), dim=-1)
    iy = torch.div(idx, w, rounding_mode="floor").to(maps.dtype)
    ix = (idx - torch.div(idx, w, rounding_mode="floor") * w).to(maps.dtype)
    xs = torch.arange(w, dtype=maps.dtype, device=maps.device)
    ys = torch.arange(h, dtype=maps.dtype, device=maps.device)
    in_x = ((xs - ix[..., None]).abs() <= radius).to(maps.dtype)  # (B, I, w)
    in_y = ((ys - iy[..., None]).abs() <= radius).to(maps.dtype)  # (B, I, h)
    weights = maps.clamp(min=0) * in_y[..., :, None] * in_x[..., None, :]  # (B, I, h, w)
    total = weights.sum(dim=(-1, -2)).clamp(min=1e-12)
    px = (weights.sum(dim=-2) * xs).sum(-1) / total
    py = (weights.sum(dim=-1) * ys).sum(-1) / total
    points = bin_to_px(torch.stack([px, py], dim=-1), stride)
    valid = scores > threshold
    points = torch.where(valid[..., None], points, torch.full_like(points, float("nan")))
    scores = torch.where(valid, scores, torch.zeros_like(scores))
    if count > h * w:  # a map smaller than the padded size: pad the rest
        pad = count - h * w
        points = torch.cat([points, points.new_full((b, pad, 2), float("nan"))], dim=1)
        scores = torch.cat([scores, scores.new_zeros(b, pad)], dim=1)
    return points, scores


def peak_focal_loss(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """CenterNet's penalty-reduced focal loss for maps with any number of peaks.

    Unlike :func:`spatial_cross_entropy` (one softmax per map: exactly one
    peak), each bin is an independent sigmoid, so a map can hold several
    animals, or none: a frame without animals is all negatives. Bins within
    about half a bin of a Gaussian's centre (target >= 0.75) are positives;
    the other bins are negatives down-weighted by ``(1 - target)^4`` near a
    peak. Start the head's bias near ``-2.2`` (a 10 % prior, as CenterNet does):
    see :func:`init_peak_head`.

    Args:
        logits: ``(B, C, h, w)``.
        target: ``(B, C, h, w)`` max-over-instances Gaussians (peak 1).
        mask: ``(B, C)`` 1 to count a map.

    Returns:
        Scalar loss, normalised by the number of positive bins.
    """
    # log-sigmoids, not log(clamp(p)): a clamp has no gradient, so a map pushed
    # below it early on (most bins are negatives) could never come back
    log_p, log_not_p = torch.nn.functional.logsigmoid(logits), torch.nn.functional.logsigmoid(-logits)
    p = torch.sigmoid(logits)
    pos = (target >= 0.75).to(logits.dtype)
    m = mask[..., None, None].to(logits.dtype)
    pos_loss = -log_p * (1 - p) ** 2 * pos
    neg_loss = -log_not_p * p**2 * (1 - target) ** 4 * (1 - pos)
    return ((pos_loss + neg_loss) * m).sum() / (pos * m).sum().clamp(min=1)


def init_peak_head(head: torch.nn.Conv2d, prior: float = 0.1) -> None:
    """Start a sigmoid head near ``prior`` everywhere (small weights, bias ``logit(prior)``),
    so the focal loss of :func:`peak_focal_loss` starts small and stable."""
    torch.nn.init.normal_(head.weight, std=0.01)
    if head.bias is not None:
        torch.nn.init.constant_(head.bias, math.log(prior / (1 - prior)))
