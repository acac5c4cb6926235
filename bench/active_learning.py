"""Active-learning benchmark: does rank_frames reach random sampling's accuracy with fewer labels?

Usage (from the repository root)::

    python bench/active_learning.py --seconds 30 --seeds 2

Protocol on the DLC open-field labels (116 frames): a fixed, seeded test set
of 30 frames (``bench/results/active_learning_split.json``); the rest is the
pool. Each seed starts from the same 10 random pool frames for both arms, then
adds batches of 10 up to 60 labels, retraining with the same wall-clock budget
each round, warm-started from the arm's previous model as the app's "Retrain
with new labels" does (``--from-scratch`` to retrain from nothing). As in the
app, each round's labels are split seeded 80/20 into train and validation
(early stopping and the checkpoint; none under 5 labels); the test frames are
never trained on or used to choose anything, only scored. The split file also
records which frames trained and validated every round (``rounds``):

- ``strategy``: the current model predicts every frame (with bottleneck
  features) and the remaining pool under test-time augmentation;
  :func:`ml_worker.active_learning.rank_frames` with default weights picks 10
  (the labeled frames are ``exclude``; the pool frames are independent images,
  so they get non-adjacent frame indices and the temporal term is neutral);
- ``random``: 10 uniform random pool frames.

Test RMSE (px) per round goes to ``bench/results/active_learning.json`` and the
curve to ``bench/results/active_learning.png`` (drawn with Pillow).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.active_learning import rank_frames, tta_predictions  # noqa: E402
from ml_worker.artifacts import ModelArtifact, predict_frames  # noqa: E402
from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import PoseDataset, load_dlc_labeled_folder, make_split  # noqa: E402
from ml_worker.infer import VideoPredictions  # noqa: E402
from ml_worker.metrics import compute_metrics  # noqa: E402
from ml_worker.train import train  # noqa: E402

DATASET = "openfield-Pranav-2018-10-30"
RESULTS = REPO / "bench" / "results"


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def test_split(path: Path, keys: list[str], n_test: int, seed: int) -> list[str]:
    """The stored test keys, or a new seeded draw (then stored)."""
    if path.is_file():
        stored = json.loads(path.read_text())
        if set(stored["test"]) <= set(keys) and len(stored["test"]) == n_test:
            return stored["test"]
    rng = np.random.default_rng(seed)
    test = sorted(rng.choice(sorted(keys), n_test, replace=False).tolist())
    path.write_text(json.dumps({"seed": seed, "test": test}, indent=2))
    return test


def labeled_split(labeled: list[str], seed: int) -> dict[str, list[str]]:
    """The app's split of a project's labels (backend.training.services.training_split
    without a pinned test set): a seeded 20 % validates, none under 5 labels."""
    return make_split(labeled, val_fraction=0.2 if len(labeled) >= 5 else 0.0, seed=seed)


def fit(ds: PoseDataset, split: dict[str, list[str]], seconds: float, seed: int,
        parent: ModelArtifact | None = None) -> ModelArtifact:  # fmt: skip
    """Train on ``split`` (train + val of the labeled frames; the test set stays unseen),
    from scratch or warm-started from ``parent`` (what "Retrain with new labels" does)."""
    cfg = replace(preset("balanced"), max_seconds=seconds, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        init = None
        if parent is not None:
            init = parent.save(Path(tmp) / "parent") / "weights.pt"
        result = train(cfg, ds, split, Path(tmp) / "out", init_weights=init)
    assert result.artifact is not None
    return result.artifact


def test_rmse(artifact: ModelArtifact, ds: PoseDataset, test: list[str]) -> float:
    """RMSE in pixels on the test frames."""
    sub = ds.subset(test)
    frames = np.stack([s.image for s in sub.samples])
    points, _ = predict_frames(artifact, frames, device="cpu")  # (N, 1, K, 2): one animal
    vis = sub.visibility(1)[:, 0]
    rmse = compute_metrics(points[:, 0], sub.keypoints(1)[:, 0], vis, test,
                           ds.node_names)["rmse_px"]
    return float("inf") if rmse is None else float(rmse)


def predict_pool(artifact: ModelArtifact, ds: PoseDataset, keys: list[str]) -> VideoPredictions:
    """Predictions with bottleneck features for ``keys``; row i has frame index 1000 * i."""
    module = artifact.build_module()
    feats: list[torch.Tensor] = []
    hook = module.instance.bottleneck.register_forward_hook(
        lambda _m, _i, out: feats.append(out.mean(dim=(2, 3)))
    )
    frames = np.stack([ds.subset([k]).samples[0].image for k in keys])
    points, scores, anchors = [], [], []
    with torch.inference_mode():
        for i in range(0, len(frames), 16):
            p, s, _, a = module(torch.from_numpy(frames[i : i + 16]))
            points.append(p.numpy()), scores.append(s.numpy()), anchors.append(a.numpy())
    hook.remove()
    h, w = frames.shape[1:3]
    return VideoPredictions(
        np.concatenate(points), np.concatenate(scores), np.concatenate(anchors),
        torch.cat(feats).numpy().astype(np.float16), fps=1.0, frame_count=len(keys) * 1000,
        width=w, height=h, frame_indices=np.arange(len(keys)) * 1000,
        node_names=list(ds.node_names),
    )  # fmt: skip


def choose(artifact: ModelArtifact, ds: PoseDataset, labeled: list[str], pool: list[str],
           n: int) -> list[str]:  # fmt: skip
    """The default strategy: rank_frames over the unlabeled pool, labeled frames excluded."""
    keys = labeled + pool
    preds = predict_pool(artifact, ds, keys)
    pool_frames = np.stack([ds.subset([k]).samples[0].image for k in pool])
    tta = tta_predictions(artifact, pool_frames)
    spread = np.concatenate([np.zeros(len(labeled)), tta.spread])
    picks = rank_frames(preds, n=n, exclude=set(range(0, len(labeled) * 1000, 1000)),
                        disagreement=spread)  # fmt: skip
    return [keys[s.frame_index // 1000] for s in picks]


def labels_to_match(rounds: list[int], curve: list[float], target: float) -> float | None:
    """Labels at which ``curve`` first reaches ``target`` (linear interpolation), else None."""
    for i, value in enumerate(curve):
        if value <= target:
            if i == 0:
                return float(rounds[0])
            x0, x1, y0, y1 = rounds[i - 1], rounds[i], curve[i - 1], curve[i]
            return float(x0 + (x1 - x0) * (y0 - target) / (y0 - y1))
    return None


def plot(path: Path, rounds: list[int], lines: dict[str, tuple[list[float], tuple]]) -> None:
    """Line chart of test RMSE against labels, with axes, ticks and a legend (Pillow only)."""
    w, h, left, right, top, bottom = 720, 460, 80, 30, 50, 60
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    values = [v for ys, _ in lines.values() for v in ys if np.isfinite(v)]
    lo, hi = min(values), max(values)
    pad = 0.08 * (hi - lo or 1.0)
    lo, hi = max(0.0, lo - pad), hi + pad

    def xy(x: float, y: float) -> tuple[float, float]:
        fx = (x - rounds[0]) / (rounds[-1] - rounds[0])
        fy = (y - lo) / (hi - lo)
        return left + fx * (w - left - right), h - bottom - fy * (h - top - bottom)

    d.line([(left, top), (left, h - bottom), (w - right, h - bottom)], fill="black", width=2)
    for x in rounds:
        px, py = xy(x, lo)
        d.line([(px, py), (px, py + 5)], fill="black")
        d.text((px - 6, py + 8), str(x), fill="black")
    for i in range(6):
        y = lo + (hi - lo) * i / 5
        px, py = xy(rounds[0], y)
        d.line([(px - 5, py), (px, py)], fill="black")
        d.line([(px, py), (w - right, py)], fill=(230, 230, 230))
        d.text((px - 45, py - 6), f"{y:.1f}", fill="black")
    d.text((w / 2 - 40, h - 25), "labeled frames", fill="black")
    d.text((10, top - 30), "test RMSE (px), mean over seeds", fill="black")
    for n, (name, (ys, colour)) in enumerate(lines.items()):
        pts = [xy(x, y) for x, y in zip(rounds, ys, strict=True) if np.isfinite(y)]
        d.line(pts, fill=colour, width=3)
        for px, py in pts:
            d.ellipse([px - 4, py - 4, px + 4, py + 4], fill=colour)
        lx, ly = w - right - 170, top + 10 + 20 * n
        d.line([(lx, ly + 6), (lx + 30, ly + 6)], fill=colour, width=3)
        d.text((lx + 38, ly), name, fill="black")
    tmp = path.with_name(path.name + ".tmp")
    img.save(tmp, format="PNG")
    os.replace(tmp, path)


def main() -> None:
    """Run both arms for every seed and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="training budget per round")
    parser.add_argument("--first-seconds", type=float, default=None,
                        help="budget of the shared first model (default: --seconds)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--start", type=int, default=10)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max-labels", type=int, default=60)
    parser.add_argument("--test-frames", type=int, default=30)
    parser.add_argument("--from-scratch", action="store_true",
                        help="retrain each round from scratch instead of warm-starting from the "
                        "previous round's model (both arms alike)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    split_path = args.out / "active_learning_split.json"
    ds = load_dlc_labeled_folder(data_dir() / DATASET)
    test = test_split(split_path, ds.keys, args.test_frames, seed=0)
    pool_all = sorted(set(ds.keys) - set(test))
    rounds = list(range(args.start, args.max_labels + 1, args.step))
    per_seed: dict[str, list[list[float]]] = {"strategy": [], "random": []}
    splits: dict[str, list[dict[str, Any]]] = {}  # "seed<s>/<arm>" -> each round's train / val
    t0 = time.monotonic()
    for seed in range(args.seeds):
        rng = np.random.default_rng(1000 + seed)
        start = sorted(rng.choice(pool_all, args.start, replace=False).tolist())
        first_split = labeled_split(start, seed)
        assert not set(test) & set(start), "a test frame among the labels"
        first = fit(ds, first_split, args.first_seconds or args.seconds, seed)
        first_rmse = test_rmse(first, ds, test)
        for arm in ("strategy", "random"):
            labeled, model, curve = list(start), first, [first_rmse]
            record = splits[f"seed{seed}/{arm}"] = [{"labels": len(start), **first_split}]
            for n_labels in rounds[1:]:
                pool = [k for k in pool_all if k not in set(labeled)]
                if arm == "strategy":
                    labeled += choose(model, ds, labeled, pool, n_labels - len(labeled))
                else:
                    labeled += rng.choice(pool, n_labels - len(labeled), replace=False).tolist()
                parent = None if args.from_scratch else model
                split = labeled_split(labeled, seed)
                record.append({"labels": n_labels, **split})
                model = fit(ds, split, args.seconds, seed, parent)
                curve.append(test_rmse(model, ds, test))
                print(f"[{time.monotonic() - t0:6.0f}s] seed {seed} {arm:8s} {n_labels} labels: "
                      f"{curve[-1]:.2f} px", flush=True)  # fmt: skip
            per_seed[arm].append(curve)
    strategy = np.mean(per_seed["strategy"], axis=0).tolist()
    random_ = np.mean(per_seed["random"], axis=0).tolist()
    n_fits = args.seeds * (2 * (len(rounds) - 1) + 1)
    report = {
        "rounds": rounds,
        "strategy_rmse": strategy,
        "random_rmse": random_,
        "per_seed": per_seed,
        "labels_to_match_random_final": labels_to_match(rounds, strategy, random_[-1]),
        "rmse_sd_over_seeds": {arm: np.std(c, axis=0).tolist() for arm, c in per_seed.items()},
        "seconds_per_round": args.seconds,
        "first_model_seconds": args.first_seconds or args.seconds,
        "seeds": args.seeds,
        "warm_start": not args.from_scratch,
        "settings": {
            "dataset": DATASET, "test_frames": len(test), "pool_frames": len(pool_all),
            "validation": "seeded 20 % of each round's labels (none under 5), as in the app",
            "preset": "balanced", "strategy": "rank_frames default weights + TTA disagreement",
            "wall_seconds": round(time.monotonic() - t0), "trainings": n_fits,
            "cpu_threads": os.cpu_count(),
        },
    }  # fmt: skip
    stored = json.loads(split_path.read_text())
    split_path.write_text(json.dumps({**stored, "rounds": splits}, indent=1))
    (args.out / "active_learning.json").write_text(json.dumps(report, indent=2))
    plot(args.out / "active_learning.png", rounds,
         {"rank_frames": (strategy, (200, 60, 40)), "random": (random_, (40, 90, 200))})  # fmt: skip
    print(json.dumps({k: v for k, v in report.items() if k != "per_seed"}, indent=2))


if __name__ == "__main__":
    main()
