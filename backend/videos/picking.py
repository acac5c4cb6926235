"""Choosing which frames of a video to label: uniform, random (seeded) or k-means.

The k-means method follows DeepLabCut's ``extract_frames``: each sampled frame is
shrunk to a small grayscale image and flattened into a vector, the vectors are
clustered with MiniBatchKMeans into ``count`` clusters, and from each cluster
the frame nearest its centre is picked, so the picks cover the different
appearances in the video rather than just its time axis.

Pure functions: no database, no files; decoding happens in the caller, which
feeds ``(index, rgb)`` pairs to ``frame_features``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from PIL import Image

FEATURE_WIDTH = 30  # DeepLabCut's default ``resizewidth``
MAX_KMEANS_SAMPLES = 2000

Progress = Callable[[float, str], None]


def _check(frame_count: int, count: int) -> None:
    if count < 1 or count > frame_count:
        raise ValueError(f"Cannot pick {count} frames from a video of {frame_count}.")


def pick_uniform(frame_count: int, count: int) -> list[int]:
    """The middle frame of each of ``count`` equal stretches of the video."""
    _check(frame_count, count)
    return [int((i + 0.5) * frame_count / count) for i in range(count)]


def pick_random(frame_count: int, count: int, seed: int) -> list[int]:
    """``count`` distinct frames drawn uniformly; the same seed gives the same frames."""
    _check(frame_count, count)
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(frame_count, size=count, replace=False))


def sampling_step(frame_count: int, count: int) -> int:
    """Every how many frames to sample for k-means (long videos are thinned out)."""
    return max(1, frame_count // max(MAX_KMEANS_SAMPLES, count))


def frame_feature(rgb: np.ndarray, width: int = FEATURE_WIDTH) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> flat float32 vector of a ``width``-wide grayscale thumbnail."""
    image = Image.fromarray(rgb).convert("L")
    height = max(1, round(image.height * width / image.width))
    small = image.resize((width, height), Image.BILINEAR)
    return np.asarray(small, dtype=np.float32).ravel() / 255.0


def frame_features(
    frames: Iterable[tuple[int, np.ndarray]], total: int, on_progress: Progress | None = None
) -> tuple[list[int], np.ndarray]:
    """Features of each ``(index, rgb)``; returns (indices, (n, d) array)."""
    indices, rows = [], []
    for done, (index, rgb) in enumerate(frames, start=1):
        indices.append(index)
        rows.append(frame_feature(rgb))
        if on_progress and (done % 25 == 0 or done == total):
            on_progress(min(done / max(total, 1), 1.0), f"Reading frames ({done}/{total})")
    return indices, np.stack(rows) if rows else np.zeros((0, 0), np.float32)


def pick_kmeans(indices: list[int], features: np.ndarray, count: int, seed: int) -> list[int]:
    """One frame per cluster, the one nearest its centre; always ``count`` distinct frames."""
    from sklearn.cluster import MiniBatchKMeans

    _check(len(indices), count)
    if count == len(indices):
        return sorted(indices)
    data = features - features.mean(axis=0)
    kmeans = MiniBatchKMeans(
        n_clusters=count, random_state=seed, n_init=3, batch_size=256, max_iter=100, tol=1e-3
    ).fit(data)
    distances = kmeans.transform(data)  # (n, count): distance of each frame to each centre
    chosen: list[int] = []
    for cluster in range(count):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        if members.size:
            chosen.append(int(members[np.argmin(distances[members, cluster])]))
    return sorted(indices[i] for i in _fill(chosen, distances, count))


def _fill(chosen: list[int], distances: np.ndarray, count: int) -> list[int]:
    """Empty clusters leave gaps: add the frames farthest from every centre until full."""
    remaining = np.setdiff1d(np.arange(distances.shape[0]), chosen)
    farthest = remaining[np.argsort(-distances[remaining].min(axis=1))]
    return chosen + [int(i) for i in farthest[: count - len(chosen)]]
