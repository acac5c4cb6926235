"""bench/al_all_labels.py: every pool sample trains (never a test sample), for the last
round's step count, and the figure joins the pool's entry without losing the rest."""

import json
import sys

import numpy as np

from bench import al_all_labels
from bench.al_pools import Pool
from ml_worker.dataset import PoseDataset
from tests.ml_worker.conftest import NODES, SYMMETRIES, synthetic_sample


def small_pool() -> Pool:
    rng = np.random.default_rng(0)
    samples = [synthetic_sample(rng, f"frame{i}") for i in range(16)]
    ds = PoseDataset(samples, list(NODES), list(SYMMETRIES))
    keys = [s.key for s in samples]
    return Pool("openfield-video", ds, keys[:4], keys[4:], {k: i for i, k in enumerate(keys)})


def test_last_rounds_step_count():
    # bench-al's video pool: 500 first, then 3 rounds of 250 (10 -> 20 -> 30 -> 40 labels)
    assert al_all_labels.all_labels_steps(500, 250, 4) == 1250


def test_trains_on_the_whole_pool_and_keeps_the_entry(tmp_path, monkeypatch):
    pool = small_pool()
    (tmp_path / "active_learning.json").write_text(json.dumps({
        "openfield-video": {"random_rmse": [9.0, 4.0], "note": "kept"},
        "centered-pair": {"random_rmse": [7.0]}}))  # fmt: skip
    monkeypatch.setattr(al_all_labels, "load_pool", lambda *_a: pool)
    trained = []
    real_fit = al_all_labels.fit

    def fit(ds, split, seconds, seed, **kw):
        trained.append((split, kw["steps"]))
        return real_fit(ds, split, seconds, seed, **kw)

    monkeypatch.setattr(al_all_labels, "fit", fit)
    monkeypatch.setattr(sys, "argv", [
        "al_all_labels.py", "--pools", "openfield-video", "--steps", "2", "--first-steps", "3",
        "--max-labels", "20", "--seed-list", "0,1", "--out", str(tmp_path)])  # fmt: skip
    al_all_labels.main()

    assert len(trained) == 2
    for split, steps in trained:
        assert steps == 3 + 2  # two rounds: 10 and 20 labels
        assert sorted(split["train"] + split["val"]) == sorted(pool.pool)
        assert split["val"] and not set(split["train"] + split["val"]) & set(pool.test)
    results = json.loads((tmp_path / "active_learning.json").read_text())
    entry = results["openfield-video"]
    assert entry["note"] == "kept" and results["centered-pair"] == {"random_rmse": [7.0]}
    figure = entry["all_labels"]
    assert figure["labels"] == 12 and figure["steps"] == 5 and len(figure["per_seed"]) == 2
    assert np.isfinite(figure["rmse"]) and figure["rmse"] > 0
    assert figure["random_final_minus_all_labels"] == 4.0 - figure["rmse"]
