"""Pseudo-labels: only confident, unlabeled frames away from held-out ones, into train only."""

from __future__ import annotations

import numpy as np
import pytest

from ml_worker.dataset import PoseDataset, PoseSample
from ml_worker.pseudo_labels import add_pseudo_labels, pseudo_samples, select_pseudo_labels


def _arrays(n: int = 100, k: int = 3) -> dict:
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 50, (n, 1, k, 2)).astype(np.float32)
    scores = np.full((n, 1, k), 0.9, np.float32)
    inst = np.full((n, 1), 0.05, np.float32)  # a softmax centroid's scale: not what counts
    scores[::3] = 0.2  # every third frame unsure
    scores[1, 0, 2] = 0.3  # one unsure node in a sure frame (mean 0.7)
    return {"points": points, "scores": scores, "instance_scores": inst,
            "frame_indices": np.arange(n)}


def test_it_keeps_only_confident_unlabeled_frames_away_from_held_out_ones():
    chosen = select_pseudo_labels(_arrays(), video=7, threshold=0.5, exclude=[10, 11, 13],
                                  held_out=[50], gap=5, min_spacing=1, max_frames=1000)
    frames = {p.frame_index for p in chosen}
    assert frames and not frames & {10, 11, 13}
    assert not frames & set(range(45, 56))
    assert all(f % 3 for f in frames)
    assert all(p.score >= 0.5 and p.key == f"pseudo/video7/frame{p.frame_index}" for p in chosen)
    one = next(p for p in chosen if p.frame_index == 1)
    assert np.isnan(one.points[0, 2]).all() and np.isfinite(one.points[0, :2]).all()


def test_it_spaces_and_caps_the_frames():
    chosen = select_pseudo_labels(_arrays(), video=1, threshold=0.5, min_spacing=10,
                                  max_frames=4)
    frames = sorted(p.frame_index for p in chosen)
    assert len(frames) == 4 and np.diff(frames).min() >= 10


def test_they_join_the_training_split_only():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)
    labeled = [PoseSample.from_points(image, rng.uniform(0, 20, (3, 2)), f"video1/frame{i}")
               for i in range(4)]
    dataset = PoseDataset(labeled, ["a", "b", "c"])
    split = {"train": ["video1/frame0", "video1/frame1"], "val": ["video1/frame2"],
             "test": ["video1/frame3"]}
    chosen = select_pseudo_labels(_arrays(), video=1, threshold=0.5, min_spacing=1)
    samples = pseudo_samples(chosen, lambda _v, _i: image)
    merged, new = add_pseudo_labels(dataset, split, samples, max_ratio=2.0)
    assert len(merged) == 4 + 4 and new["val"] == split["val"] and new["test"] == split["test"]
    assert new["train"][:2] == split["train"]
    assert all(k.startswith("pseudo/") for k in new["train"][2:])


def test_a_sample_that_could_shadow_a_labeled_frame_is_refused():
    image = np.zeros((8, 8, 3), np.uint8)
    labeled = PoseSample.from_points(image, np.zeros((1, 2)), "video1/frame0")
    dataset = PoseDataset([labeled], ["a"])
    with pytest.raises(ValueError, match="collides"):
        add_pseudo_labels(dataset, {"train": ["video1/frame0"]},
                          [PoseSample.from_points(image, np.zeros((1, 2)), "video1/frame0")])
