import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from ml_worker.artifacts import ModelArtifact, predict_frames
from ml_worker.config import preset
from ml_worker.dataset import make_split
from ml_worker.train import train


def tiny_config(**overrides):
    base = replace(preset("fast"), max_seconds=None, max_steps=24, batch_size=4, filters=8,
                   val_every_steps=4, centroid_time_fraction=0.5, num_threads=2)
    return replace(base, **overrides)


def test_loss_decreases_and_an_artifact_is_saved(tiny_dataset, tmp_path):
    split = make_split(tiny_dataset.keys, 0.25, seed=0)
    progress = []
    result = train(tiny_config(), tiny_dataset, split, tmp_path, on_progress=progress.append)
    assert result.status in ("completed", "early_stopped")
    for stage in ("centroid", "instance"):
        losses = [h["train_loss"] for h in result.history if h["stage"] == stage]
        assert losses[-1] < losses[0], stage
    assert {"epoch", "step", "total_steps", "fraction", "train_loss", "val_loss",
            "eta_seconds"} <= set(progress[-1])
    loaded = ModelArtifact.from_dir(tmp_path)
    assert loaded.metrics["n_frames"] == 3 and (tmp_path / "checkpoint.pt").is_file()
    frames = np.stack([s.image for s in tiny_dataset.samples[:5]])
    points, scores = predict_frames(loaded, frames, batch_size=2)
    assert points.shape == (5, 1, 4, 2) and scores.shape == (5, 1, 4)


def test_same_seed_gives_same_weights(tiny_dataset, tmp_path):
    split = make_split(tiny_dataset.keys, 0.25, seed=0)
    cfg = tiny_config(max_steps=6)
    a = train(cfg, tiny_dataset, split, tmp_path / "a").artifact
    b = train(cfg, tiny_dataset, split, tmp_path / "b").artifact
    for stage in ("centroid", "instance"):
        for k, v in a.state[stage].items():
            assert torch.equal(v, b.state[stage][k]), k


def test_should_stop_cancels_within_seconds(tiny_dataset, tmp_path):
    split = make_split(tiny_dataset.keys, 0.25, seed=0)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    start = time.monotonic()
    result = train(tiny_config(max_steps=10_000), tiny_dataset, split, tmp_path,
                   should_stop=stop)
    assert result.status == "cancelled" and result.artifact is None
    assert time.monotonic() - start < 10


def test_time_budget_is_respected(tiny_dataset, tmp_path):
    split = make_split(tiny_dataset.keys, 0.25, seed=0)
    start = time.monotonic()
    result = train(tiny_config(max_steps=100_000, max_seconds=4.0), tiny_dataset, split,
                   tmp_path)
    assert result.status in ("time_budget", "early_stopped")
    assert time.monotonic() - start < 12


def test_test_frames_are_reported_but_never_change_training(tiny_dataset, tmp_path):
    split = make_split(tiny_dataset.keys, 0.25, seed=0, test_fraction=0.25)
    cfg = tiny_config(max_steps=8)
    with_test = train(cfg, tiny_dataset, split, tmp_path / "a")
    seen = tiny_dataset.subset(split["train"] + split["val"])
    without = train(cfg, seen, {"train": split["train"], "val": split["val"]}, tmp_path / "b")
    for stage in ("centroid", "instance"):
        for k, v in with_test.artifact.state[stage].items():
            assert torch.equal(v, without.artifact.state[stage][k]), k
    metrics = ModelArtifact.from_dir(tmp_path / "a").metrics
    assert metrics["frame_keys"] == split["val"] and metrics["test"]["frame_keys"] == split["test"]
    assert "test" not in without.metrics
    assert with_test.artifact.extra["split"] == split


def test_a_frame_in_two_sets_is_refused(tiny_dataset, tmp_path):
    split = make_split(tiny_dataset.keys, 0.25, seed=0)
    with pytest.raises(ValueError, match="both train and test"):
        train(tiny_config(), tiny_dataset, {**split, "test": split["train"][:1]}, tmp_path)
