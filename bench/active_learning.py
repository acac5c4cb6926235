"""Active-learning benchmark: does rank_frames reach random sampling's accuracy with fewer labels?

Usage (from the repository root)::

    python bench/active_learning.py --seconds 30 --seeds 2
    # smoke run: small pools, two rounds, two arms, results elsewhere
    python bench/active_learning.py --pools centered-pair --arms default,pose_outlier \
        --seconds 10 --seeds 1 --max-labels 20 --max-pool 60 --out /tmp/al-smoke

Pools (``--pools``, see ``bench/al_pools.py``): ``openfield`` (the 116 labeled
frames), ``centered-pair`` (SLEAP's predictions on the 1,100-frame two-fly video
as reference labels, one crop per fly) and ``openfield-video`` (the open-field
video labeled by a reference model trained on all labeled frames).

Arms (``--arms``): ``random``, ``default`` (every sub-score at its default weight,
as the app ranks: :func:`ml_worker.inference_run.rank`, with TTA and the
MC-dropout committee on its shortlist and the pose model fitted on the labels so
far) and one arm per signal alone (``uncertainty``, ``disagreement``,
``ensemble_disagreement``, ``pose_outlier``, ``diversity``, ``temporal``): the
ablation that says which signal earns its place. ``clusters`` is the default
weights with the clustered batch selection of
:func:`ml_worker.active_learning.rank_frames` (``default`` uses the app's,
``ml_worker.inference_run.DEFAULT_SELECTION``); ``all_signals`` and ``greedy`` are
every signal at weight 1 (the default before the ablation) spread by clusters or
greedily; ``typical`` takes the most typical frame of each uncovered cluster,
whatever the scores; ``tta_clusters`` is TTA disagreement alone, spread by clusters.

``--seed-list`` runs some seeds (split a run over processes); ``--random-from``
takes random picking's curves from an earlier results file instead of training
them again: its picks and step budgets make them the same to the bit, which the
run checks on each seed's shared first model.

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

On the video pools every training starts, as the app's training jobs do by default
(``PRETRAIN_ON_UPLOAD``, ``use_pretrained_encoder: "auto"``), from an encoder
pretrained on the pool's video (``--pretrain-steps`` of masked-patch inpainting on
``--pretrain-frames`` frames, none within ``BLOCK`` frames of a test frame), the same
for every seed and arm and cached beside the results; a warm-started round's parent
weights override it. ``--pretrain-steps 0`` trains from scratch.

Test RMSE (px) per round goes to ``bench/results/active_learning.json`` (a run of
some pools replaces only their entries), one object per pool with today's keys for the ``default`` arm against ``random``
(``rounds``, ``strategy_rmse``, ``random_rmse``, ``per_seed``,
``rmse_sd_over_seeds``, ``labels_to_match_random_final``), ``signals`` (every
arm's curve, per-seed values, SD, labels to match random's final error and the
verdict of ``bench/al_curves.py``) and its settings; the curves go to
``bench/results/active_learning_<pool>.png`` (drawn with Pillow).
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

from bench.al_curves import arm_summary, labels_to_match, verdict  # noqa: E402
from bench.al_pools import (  # noqa: E402
    POOLS,
    REFERENCE_MIN_SCORE,
    Pool,
    centered_pair,
    openfield,
    openfield_video,
    pretrain_frames,
    smoke_replace,
)
from ml_worker.active_learning import DEFAULT_WEIGHTS  # noqa: E402
from ml_worker.artifacts import ModelArtifact, predict_frames  # noqa: E402
from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import PoseDataset, load_dlc_labeled_folder, make_split  # noqa: E402
from ml_worker.infer import VideoPredictions  # noqa: E402
from ml_worker.inference_run import DEFAULT_SELECTION  # noqa: E402
from ml_worker.metrics import compute_metrics  # noqa: E402
from ml_worker.pretrain import PretrainConfig, pretrain_encoder, save_encoder  # noqa: E402
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
        parent: ModelArtifact | None = None, steps: int | None = None,
        encoder: str | None = None) -> ModelArtifact:  # fmt: skip
    """Train on ``split`` (train + val of the labeled frames; the test set stays unseen),
    from scratch or warm-started from ``parent`` (what "Retrain with new labels" does).

    With ``steps`` the budget is that many optimiser steps and no clock: the same
    seed then gives the same model whatever else the machine is doing (a wall-clock
    budget makes the step count, and so the learning-rate schedule, follow the load).
    ``encoder``: a pretrained encoder (``use_pretrained_encoder: "auto"`` in the app); a
    parent's own weights, loaded after it, win where they exist.
    """
    cfg = replace(preset("balanced"), max_seconds=seconds, seed=seed, pretrained_encoder=encoder)
    if steps:
        cfg = replace(cfg, max_seconds=None, max_steps=steps)
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


# Each arm's weights (None: random picking). "default" is the app's default ranking.
SIGNALS = ("uncertainty", "disagreement", "ensemble_disagreement", "pose_outlier", "diversity",
           "temporal")  # fmt: skip
ARMS: dict[str, dict[str, float] | None] = {
    "random": None,
    "default": dict(DEFAULT_WEIGHTS),
    **{name: {name: 1.0} for name in SIGNALS},
}
# How each arm spreads its batch (rank_frames' selection): one signal alone ranks greedily
# (its own scores decide), "default" as the app does.
SELECTION = {"clusters": "clusters", "greedy": "greedy", "typical": "clusters",
             "all_signals": "clusters", **dict.fromkeys(SIGNALS, "greedy")}  # fmt: skip
# Every signal on at weight 1 (the app's default until the per-signal ablation): spread by
# clusters ("all_signals"), or greedily ("greedy", the app's default before clusters).
ALL_SIGNALS = dict.fromkeys(DEFAULT_WEIGHTS, 1.0)
ARMS["all_signals"] = ARMS["greedy"] = dict(ALL_SIGNALS)
ARMS["clusters"] = dict(DEFAULT_WEIGHTS)
# The most typical frame of each uncovered cluster, no score (TypiClust); k-center after.
ARMS["typical"] = {"diversity": 1.0}
# TTA disagreement alone (the best signal alone on the video pool), spread by clusters.
ARMS["tta_clusters"] = {"disagreement": 1.0}
SELECTION["tta_clusters"] = "clusters"
DEFAULT_ARMS = ("random", "default", "uncertainty", "disagreement", "ensemble_disagreement",
                "pose_outlier", "diversity")  # fmt: skip


def predict_pool(artifact: ModelArtifact, pool: Pool, keys: list[str]) -> VideoPredictions:
    """Predictions with bottleneck features for ``keys`` (sorted by ``pool.frame_index``),
    in frame pixels (crop points moved by the crop's origin)."""
    module = artifact.build_module()
    feats: list[torch.Tensor] = []
    hook = module.instance.bottleneck.register_forward_hook(
        lambda _m, _i, out: feats.append(out.mean(dim=(2, 3)))
    )
    frames = np.stack([pool.image(k) for k in keys])
    points, scores, anchors = [], [], []
    with torch.inference_mode():
        for i in range(0, len(frames), 16):
            p, s, _, a = module(torch.from_numpy(frames[i : i + 16]))
            points.append(p.numpy()), scores.append(s.numpy()), anchors.append(a.numpy())
    hook.remove()
    shift = np.array([pool.origin.get(k, (0.0, 0.0)) for k in keys], np.float32)
    h, w = frames.shape[1:3]
    index = np.array([pool.frame_index[k] for k in keys])
    return VideoPredictions(
        np.concatenate(points) + shift[:, None, None], np.concatenate(scores),
        np.concatenate(anchors) + shift[:, None], torch.cat(feats).numpy().astype(np.float16),
        fps=1.0, frame_count=int(index.max()) + 1, width=w, height=h, frame_indices=index,
        node_names=list(pool.dataset.node_names),
    )  # fmt: skip


def choose(artifact: ModelArtifact, pool: Pool, labeled: list[str], candidates: list[str],
           n: int, weights: dict[str, float], selection: str = DEFAULT_SELECTION) -> list[str]:  # fmt: skip
    """What the app suggests (:func:`ml_worker.inference_run.rank`) among ``candidates``:
    the labeled frames are excluded and their poses fit the pose model."""
    from ml_worker.inference_run import rank

    keys = sorted(labeled + candidates, key=pool.frame_index.__getitem__)
    by_index = {pool.frame_index[k]: k for k in keys}
    preds = predict_pool(artifact, pool, keys)
    poses = pool.dataset.subset(labeled).keypoints(1)[:, 0]
    picks = rank(preds, n=n, weights=weights, exclude={pool.frame_index[k] for k in labeled},
                 min_gap=pool.min_gap, artifact=artifact, video_path=Path(pool.name),
                 read_frames=lambda _path, idx: [pool.image(by_index[i]) for i in idx],
                 labeled_poses=poses, selection=selection)  # fmt: skip
    return [by_index[p["frame_index"]] for p in picks]


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


def load_pool(name: str, args: argparse.Namespace, split_path: Path) -> Pool:
    """One pool, cut to ``--max-pool`` keys for smoke runs."""
    data = data_dir()
    if name == "openfield":
        keys = load_dlc_labeled_folder(data / DATASET).keys
        pool = openfield(data, test_split(split_path, keys, args.test_frames, seed=0), 0, 0)
    elif name == "centered-pair":
        pool = centered_pair(data, seed=0, max_pool_frames=args.max_pool)
    else:
        pool = openfield_video(data, args.out, 0, reference_seconds=args.reference_seconds,
                               stride=args.video_stride,
                               train_fn=lambda ds, split, sec, seed: fit(
                                   ds, split, sec, seed, steps=args.reference_steps),
                               min_score=args.reference_min_score,
                               reference_steps=args.reference_steps)
    return smoke_replace(pool, args.max_pool, args.max_test)


def pool_encoder(pool: Pool, args: argparse.Namespace) -> tuple[str | None, dict[str, Any]]:
    """The encoder every training of the pool starts from, as the app's training jobs start
    from the project's pretraining (``PRETRAIN_ON_UPLOAD``, ``use_pretrained_encoder:
    "auto"``): pretrained once per pool on its video's frames away from the test frames,
    cached in ``<out>/active_learning_encoder_<pool>.pt``. None with
    ``--pretrain-steps 0`` or for a pool without a video."""
    if not args.pretrain_steps or pool.video is None:
        return None, {}
    cfg = preset("balanced")
    pcfg = PretrainConfig(max_seconds=86400.0, max_steps=args.pretrain_steps, seed=0,
                          filters=cfg.filters, filters_rate=cfg.filters_rate)  # fmt: skip
    path = args.out / f"active_learning_encoder_{pool.name}.pt"
    meta_path = path.with_suffix(".json")
    wanted = {"pretrain": pcfg.to_dict(), "frames": args.pretrain_frames, "video": pool.video.name}
    if path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta["settings"] == wanted:
            return str(path), meta
    indices, frames = pretrain_frames(pool, args.pretrain_frames)
    result = pretrain_encoder(frames, pcfg)
    tmp = path.with_name(path.name + ".tmp")
    save_encoder(tmp, result, pcfg)
    meta = {"settings": wanted, "steps": result.steps, "seconds": round(result.seconds, 1),
            "loss": [result.history[0]["loss"], result.final_loss] if result.history else None,
            "video_frames": indices}  # fmt: skip
    meta_path.write_text(json.dumps(meta))
    os.replace(tmp, path)  # last: a cached encoder always has its settings beside it
    return str(path), meta


def run_pool(pool: Pool, args: argparse.Namespace, rounds: list[int], arms: list[str],
             splits: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:  # fmt: skip
    """Every arm for every seed on one pool: the pool's report object."""
    per_seed: dict[str, list[list[float]]] = {arm: [] for arm in arms}
    t0 = time.monotonic()
    encoder, encoder_meta = pool_encoder(pool, args)
    print(f"{pool.name}: encoder {encoder} {encoder_meta.get('seconds', '')}", flush=True)
    stored_random = reused_random(args, pool.name, rounds)
    for seed in seed_list(args):
        rng = np.random.default_rng(1000 + seed)
        start = sorted(rng.choice(pool.pool, args.start, replace=False).tolist())
        first_split = labeled_split(start, seed)
        assert not set(pool.test) & set(start), "a test frame among the labels"
        first = fit(pool.dataset, first_split, args.first_seconds or args.seconds, seed,
                    steps=args.first_steps or args.steps, encoder=encoder)
        first_rmse = test_rmse(first, pool.dataset, pool.test)
        for arm in arms:
            if arm == "random" and stored_random is not None:
                # Random picks reproduce exactly (same seeds, step budgets): the stored
                # curve stands in, checked on the shared first model.
                curve = stored_random[seed]
                if abs(curve[0] - first_rmse) > 1e-3:
                    raise SystemExit(f"--random-from: seed {seed} first model {first_rmse:.4f} "
                                     f"px, stored {curve[0]:.4f}: not the same protocol")
                per_seed[arm].append(curve)
                continue
            arm_rng = np.random.default_rng(2000 + seed)  # random picks: same draws in every run
            labeled, model, curve = list(start), first, [first_rmse]
            record = splits[f"{pool.name}/seed{seed}/{arm}"] = [{"labels": len(start),
                                                                 **first_split}]  # fmt: skip
            for n_labels in rounds[1:]:
                open_ = [k for k in pool.pool if k not in set(labeled)]
                want = n_labels - len(labeled)
                if ARMS[arm] is None:
                    labeled += arm_rng.choice(open_, want, replace=False).tolist()
                else:
                    labeled += choose(model, pool, labeled, open_, want, ARMS[arm],
                                      SELECTION.get(arm, DEFAULT_SELECTION))
                parent = None if args.from_scratch else model
                split = labeled_split(labeled, seed)
                record.append({"labels": n_labels, **split})
                model = fit(pool.dataset, split, args.seconds, seed, parent, steps=args.steps,
                            encoder=encoder)
                curve.append(test_rmse(model, pool.dataset, pool.test))
                print(f"[{time.monotonic() - t0:6.0f}s] {pool.name} seed {seed} {arm:22s} "
                      f"{n_labels} labels: {curve[-1]:.2f} px", flush=True)  # fmt: skip
            per_seed[arm].append(curve)
    report = pool_report(pool, args, rounds, per_seed, time.monotonic() - t0)
    report["settings"]["pretrained_encoder"] = encoder and {
        **encoder_meta, "video_frames": len(encoder_meta["video_frames"])}
    return report


def seed_list(args: argparse.Namespace) -> list[int]:
    """``--seed-list`` or ``0 .. --seeds - 1``."""
    if args.seed_list:
        return [int(x) for x in args.seed_list.split(",") if x]
    return list(range(args.seeds))


def reused_random(args: argparse.Namespace, pool: str, rounds: list[int]) -> list[list[float]] | None:
    """Random picking's per-seed curves from ``--random-from`` (same pool, rounds and
    step budgets), indexed by seed; None without the option."""
    if args.random_from is None:
        return None
    entry = json.loads(args.random_from.read_text()).get(pool)
    same = entry and entry["rounds"] == rounds and entry.get("steps_per_round") == args.steps \
        and entry.get("first_model_steps") == (args.first_steps or args.steps)
    if not same or len(entry["per_seed"]["random"]) < max(seed_list(args)) + 1:
        raise SystemExit(f"--random-from: no {pool} run with these rounds, step budgets and seeds")
    return entry["per_seed"]["random"]


def pool_report(pool: Pool, args: argparse.Namespace, rounds: list[int],
                per_seed: dict[str, list[list[float]]], seconds: float) -> dict[str, Any]:  # fmt: skip
    """Today's keys for ``default`` against ``random``, plus every arm under ``signals``."""
    random_ = per_seed["random"]
    rnd_mean, rnd_sd = np.mean(random_, axis=0), np.std(random_, axis=0)
    signals = {}
    for arm, curves in per_seed.items():
        if arm == "random":
            continue
        summary = arm_summary(rounds, curves, random_)
        summary["verdict"] = verdict(rounds, summary, rnd_sd.tolist(), rnd_mean.tolist())
        signals[arm] = summary
    main_arm = "default" if "default" in per_seed else next(iter(signals), "random")
    strategy = np.mean(per_seed[main_arm], axis=0)
    n_arms = len(per_seed)
    return {
        "rounds": rounds,
        "strategy": main_arm,
        "strategy_rmse": strategy.tolist(),
        "random_rmse": rnd_mean.tolist(),
        "per_seed": {"strategy": per_seed[main_arm], "random": random_},
        "labels_to_match_random_final": labels_to_match(rounds, strategy.tolist(),
                                                        float(rnd_mean[-1])),  # fmt: skip
        "rmse_sd_over_seeds": {"strategy": np.std(per_seed[main_arm], axis=0).tolist(),
                               "random": rnd_sd.tolist()},  # fmt: skip
        "signals": signals,
        "target_met": signals.get(main_arm, {}).get("verdict", {}).get("met", False),
        "seconds_per_round": None if args.steps else args.seconds,
        "first_model_seconds": None if args.steps else args.first_seconds or args.seconds,
        "steps_per_round": args.steps,
        "first_model_steps": args.first_steps or args.steps,
        "seeds": len(seed_list(args)),
        "seed_list": seed_list(args),
        "warm_start": not args.from_scratch,
        "settings": {
            **pool.settings, "test_samples": len(pool.test), "pool_samples": len(pool.pool),
            "validation": "seeded 20 % of each round's labels (none under 5), as in the app",
            "preset": "balanced", "arms": list(per_seed), "min_gap": pool.min_gap,
            "default_weights": ARMS["default"],
            "selections": {arm: SELECTION.get(arm, DEFAULT_SELECTION) for arm in per_seed
                           if arm != "random"},  # fmt: skip
            "wall_seconds": round(seconds),
            "trainings": len(seed_list(args)) * (1 + (n_arms) * (len(rounds) - 1)),
            "random_from": None if args.random_from is None else str(args.random_from.name),
            "cpu_threads": os.cpu_count(),
        },
    }  # fmt: skip


def main() -> None:
    """Run every arm on every pool for every seed and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="training budget per round")
    parser.add_argument("--first-seconds", type=float, default=None,
                        help="budget of the shared first model (default: --seconds)")
    parser.add_argument("--steps", type=int, default=None,
                        help="budget per round in optimiser steps instead of seconds (reproducible "
                        "whatever the machine's load)")
    parser.add_argument("--first-steps", type=int, default=None,
                        help="step budget of the shared first model (default: --steps)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-list", default=None,
                        help="comma-separated seeds to run instead of 0..seeds-1 (split a run "
                        "over processes)")
    parser.add_argument("--random-from", type=Path, default=None,
                        help="an active_learning.json whose random arm (same pool, rounds and "
                        "step budgets) stands in for running it again")
    parser.add_argument("--start", type=int, default=10)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max-labels", type=int, default=60)
    parser.add_argument("--test-frames", type=int, default=30,
                        help="open-field labeled pool: test frames")
    parser.add_argument("--pools", default=",".join(POOLS), help=f"comma-separated, of {POOLS}")
    parser.add_argument("--arms", default=",".join(DEFAULT_ARMS),
                        help=f"comma-separated, of {tuple(ARMS)}; random is always run")
    parser.add_argument("--max-pool", type=int, default=None,
                        help="smoke runs: at most this many pool samples per pool")
    parser.add_argument("--max-test", type=int, default=None,
                        help="smoke runs: at most this many test samples per pool")
    parser.add_argument("--reference-seconds", type=float, default=1200.0,
                        help="openfield-video: the reference model's training budget")
    parser.add_argument("--reference-steps", type=int, default=None,
                        help="openfield-video: the reference model's budget in steps instead")
    parser.add_argument("--reference-min-score", type=float, default=REFERENCE_MIN_SCORE,
                        help="openfield-video: keep frames whose every reference node scores this")
    parser.add_argument("--video-stride", type=int, default=4,
                        help="openfield-video: every n-th video frame is a candidate")
    parser.add_argument("--from-scratch", action="store_true",
                        help="retrain each round from scratch instead of warm-starting from the "
                        "previous round's model (both arms alike)")  # fmt: skip
    parser.add_argument("--pretrain-steps", type=int, default=900,
                        help="video pools: steps of the encoder pretraining every training starts "
                        "from, as in the app (900: about its 180-second default on 2 CPU "
                        "cores); 0: from scratch")
    parser.add_argument("--pretrain-frames", type=int, default=200,
                        help="video frames the encoder pretrains on (the app's default)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    arms = ["random", *[a for a in args.arms.split(",") if a and a != "random"]]
    unknown = sorted(set(arms) - set(ARMS)) + sorted(set(args.pools.split(",")) - set(POOLS))
    if unknown:
        parser.error(f"unknown arm or pool: {unknown}")

    args.out.mkdir(parents=True, exist_ok=True)
    split_path = args.out / "active_learning_split.json"
    rounds = list(range(args.start, args.max_labels + 1, args.step))
    splits: dict[str, list[dict[str, Any]]] = {}  # "<pool>/seed<s>/<arm>" -> each round's split
    report: dict[str, Any] = {}
    tests: dict[str, list[str]] = {}
    for name in args.pools.split(","):
        pool = load_pool(name, args, split_path)
        tests[name] = pool.test
        print(f"== {name}: {len(pool.pool)} pool, {len(pool.test)} test samples", flush=True)
        report[name] = run_pool(pool, args, rounds, arms, splits)
        colours = [(200, 60, 40), (40, 160, 80), (150, 60, 200), (230, 150, 30), (20, 170, 190),
                   (120, 120, 120), (90, 50, 20)]  # fmt: skip
        lines = {"random": (report[name]["random_rmse"], (40, 90, 200))}
        for (arm, summary), colour in zip(report[name]["signals"].items(), colours, strict=False):
            lines[arm] = (summary["rmse"], colour)
        plot(args.out / f"active_learning_{name}.png", rounds, lines)
    stored = json.loads(split_path.read_text()) if split_path.is_file() else {}
    # a run of some pools keeps the other pools' test sets and rounds
    split_path.write_text(json.dumps({
        **stored, "pool_tests": {**stored.get("pool_tests", {}), **tests},
        "rounds": {**stored.get("rounds", {}), **splits}}, indent=1))  # fmt: skip
    results = args.out / "active_learning.json"
    earlier = json.loads(results.read_text()) if results.is_file() else {}
    if "rounds" in earlier:  # the one-pool file of before the pools: replaced
        earlier = {}
    # a run of some pools replaces only their entries
    results.write_text(json.dumps({**earlier, **report}, indent=2))
    for name, r in report.items():
        print(f"{name}: labels to match random's final error "
              + ", ".join(f"{arm} {s['labels_to_match_random_final']}"
                          for arm, s in r["signals"].items()))  # fmt: skip


if __name__ == "__main__":
    main()
