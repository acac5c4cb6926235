"""Pseudo-labels: confident predictions of the previous model version, trained on as labels.

A finished inference run predicts every frame of a video; where the model was
sure of an animal, its prediction is close to what an annotator would click,
and those frames show the animal in poses and places the hundred labeled
frames may not. Flow:

1. :func:`select_pseudo_labels` reads the run's arrays
   (:func:`ml_worker.inference_run.read_prediction_arrays`) and keeps frames
   whose every reported animal scores at least ``threshold``; nodes scoring
   under ``node_threshold`` stay unlabeled. An animal's score here is the mean
   of its node peaks (about 1 for clean peaks): the run's ``instance_scores``
   multiply that by the centroid peak, a spatial-softmax value whose scale
   shrinks with the frame size (0.06 to 0.15 on 640x480 open-field frames),
   so one threshold would not mean the same in two projects. Frames
   labeled by people, and frames within ``gap`` frames of a validation or test
   frame, are never chosen (near copies of a held-out frame would flatter the
   score); chosen frames are at least ``min_spacing`` apart, best first, up to
   ``max_frames``;
2. the worker decodes them and :func:`add_pseudo_labels` adds them to the
   dataset under keys ``pseudo/video<v>/frame<i>`` and to the *training* split
   only. The cap on their number (a share of the labeled training frames) is
   their weight: people's labels keep most of each epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml_worker.dataset import PoseDataset, PoseSample

PREFIX = "pseudo/"
# At most this many pseudo-labeled frames per labeled training frame.
MAX_RATIO = 2.0


@dataclass(frozen=True)
class PseudoLabel:
    """One frame of predictions kept as a label.

    Attributes:
        video: video id.
        frame_index: frame of that video.
        points: ``(I, K, 2)`` float32, NaN where the node scored too low.
        score: the lowest instance score of the frame.
    """

    video: int
    frame_index: int
    points: np.ndarray
    score: float

    @property
    def key(self) -> str:
        """The dataset key of this frame."""
        return pseudo_key(self.video, self.frame_index)


def pseudo_key(video: int, frame_index: int) -> str:
    """Key of a pseudo-labeled frame (never equal to a labeled frame's key)."""
    return f"{PREFIX}video{video}/frame{frame_index}"


def select_pseudo_labels(
    arrays: dict[str, Any],
    *,
    video: int,
    threshold: float,
    exclude: Iterable[int] = (),
    held_out: Iterable[int] = (),
    gap: int = 5,
    min_spacing: int = 5,
    max_frames: int = 100,
    node_threshold: float | None = None,
) -> list[PseudoLabel]:
    """Confident frames of one video's predictions.

    Args:
        arrays: ``points (F, I, K, 2)``, ``scores (F, I, K)`` and
            ``frame_indices (F,)`` of one run.
        video: the run's video id.
        threshold: minimum score (mean node peak) of every animal the frame reports.
        exclude: frame indices that are labeled (any status): never chosen.
        held_out: validation and test frame indices: neither they nor frames
            within ``gap`` of them are chosen.
        gap: frames kept clear around a held-out frame.
        min_spacing: least distance between two chosen frames.
        max_frames: most frames returned.
        node_threshold: nodes scoring below stay NaN (default ``threshold``).

    Returns:
        The chosen frames, best score first.
    """
    points = np.asarray(arrays["points"], dtype=np.float32)
    scores = np.asarray(arrays["scores"], dtype=np.float32)
    frames = np.asarray(arrays["frame_indices"]).astype(int)
    node_min = threshold if node_threshold is None else node_threshold
    present = np.isfinite(points).all(-1).any(-1)  # (F, I): a reported animal
    found = np.isfinite(points).all(-1)
    node = np.where(found, np.clip(np.nan_to_num(scores, nan=0.0), 0, 1), 0.0)
    animal = node.sum(-1) / np.maximum(found.sum(-1), 1)  # (F, I) mean node peak
    low = np.where(present, animal, np.inf).min(axis=1)
    blocked = set(int(f) for f in exclude)
    for f in held_out:
        blocked.update(range(int(f) - gap, int(f) + gap + 1))
    order = np.argsort(-low, kind="stable")
    chosen: list[PseudoLabel] = []
    taken: list[int] = []
    for row in order:
        if len(chosen) >= max_frames or not low[row] >= threshold or not np.isfinite(low[row]):
            break
        f = int(frames[row])
        if f in blocked or any(abs(f - t) < min_spacing for t in taken):
            continue
        pts = points[row][present[row]].copy()
        pts[scores[row][present[row]] < node_min] = np.nan
        if not np.isfinite(pts).any():
            continue
        chosen.append(PseudoLabel(video, f, pts, float(low[row])))
        taken.append(f)
    return chosen


def pseudo_samples(labels: Iterable[PseudoLabel],
                   read_frame: Callable[[int, int], np.ndarray | None]) -> list[PoseSample]:
    """Decode the chosen frames into samples (a frame that cannot be read is skipped)."""
    samples = []
    for label in labels:
        image = read_frame(label.video, label.frame_index)
        if image is not None:
            samples.append(PoseSample.from_points(image, label.points, label.key))
    return samples


def add_pseudo_labels(dataset: PoseDataset, split: dict[str, list[str]],
                      samples: list[PoseSample],
                      max_ratio: float = MAX_RATIO) -> tuple[PoseDataset, dict[str, list[str]]]:
    """The dataset and split with pseudo-labeled samples added to ``train`` only.

    At most ``max_ratio`` per labeled training frame are kept (in the given order).

    Raises:
        ValueError: a sample key that is already in the dataset, or is not a
            pseudo key (it could otherwise shadow a labeled, validation or test frame).
    """
    keep = samples[:int(max_ratio * len(split.get("train", [])))]
    existing = set(dataset.keys)
    for s in keep:
        if not s.key.startswith(PREFIX) or s.key in existing:
            raise ValueError(f"pseudo-label {s.key!r} collides with a labeled frame")
    merged = PoseDataset([*dataset.samples, *keep], list(dataset.node_names),
                         list(dataset.symmetries), list(dataset.edges))
    return merged, {**split, "train": [*split["train"], *(s.key for s in keep)]}
