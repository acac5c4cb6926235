"""bench/unlabeled.py's summary: what "keep on by default only what helps" is decided on."""

from __future__ import annotations

import json

from bench.unlabeled import kept_runs, summarize


def _run(seed: int, labels, base: float, pretrained: float, pseudo: float | None = None):
    run = {"seed": seed, "labels": labels, "baseline": {"test_rmse_px": base},
           "pretrained_encoder": {"test_rmse_px": pretrained,
                                  "test_rmse_change_px": round(pretrained - base, 3)}}
    if pseudo is not None:
        run["pseudo_labels"] = {"test_rmse_px": pseudo, "test_rmse_change_px": round(pseudo - base, 3)}
    return run


def test_changes_per_label_count_and_seed_and_whether_every_seed_gained():
    runs = [_run(0, 20, 5.0, 4.0, 6.0), _run(0, "all", 4.0, 3.5, 4.5),
            _run(1, 20, 26.0, 20.0), _run(1, "all", 17.0, 17.5)]
    summary = summarize(runs)
    assert set(summary) == {"20", "all"}
    twenty = summary["20"]
    assert twenty["baseline_test_rmse_px"] == [5.0, 26.0]
    assert twenty["pretrained_encoder"]["test_rmse_change_px"] == [-1.0, -6.0]
    assert twenty["pretrained_encoder"]["mean_change_px"] == -3.5
    assert twenty["pretrained_encoder"]["helped_every_seed"] is True
    assert twenty["pseudo_labels"]["seeds"] == [0] and not twenty["pseudo_labels"]["helped_every_seed"]
    assert summary["all"]["pretrained_encoder"]["helped_every_seed"] is False
    assert summary["all"]["pretrained_encoder"]["mean_change_px"] == 0.0
    assert twenty["pretrained_encoder"]["helped_seeds"] == 2
    assert summary["all"]["pretrained_encoder"]["helped_seeds"] == 1


def test_a_run_of_some_seeds_replaces_only_theirs(tmp_path):
    results = tmp_path / "unlabeled.json"
    assert kept_runs(results, [0]) == []
    results.write_text(json.dumps({"summary": {}, "runs": [_run(0, 20, 5.0, 4.0, 6.0),
                                                           _run(1, 20, 26.0, 20.0),
                                                           _run(2, "all", 4.0, 3.0)]}))
    kept = kept_runs(results, [1, 3])
    assert [(r["seed"], r["labels"]) for r in kept] == [(0, 20), (2, "all")]
    assert kept[0]["pseudo_labels"]["test_rmse_px"] == 6.0
