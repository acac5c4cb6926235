"""Unlabeled-frame options: test RMSE with and without each, at a few label counts.

Usage (from the repository root)::

    python bench/unlabeled.py                                  # 20 and all labels, bench/results/
    python bench/unlabeled.py --labels 20 --seconds 120 --pretrain-seconds 120 --out /tmp/bu

Data: ``openfield-Pranav-2018-10-30`` (116 labeled frames of one video) and its
*other* video ``m3v1mp4.mp4`` (2330 frames, same arena), which plays the part of
a project's unlabeled footage. Test frames: a fixed seeded 20 % of the labeled
frames (``make_split(..., 0.15, seed, test_fraction=0.2)``, as
``bench/training.py``); at ``n`` labels, ``n`` of the other frames are drawn
(seeded) and split 80/20 into train and validation.

Arms, each trained from scratch with the same preset and budget:

* ``baseline``: the labels alone;
* ``pretrained_encoder``: encoders warm-started by :mod:`ml_worker.pretrain`
  (masked-patch inpainting, ``--pretrain-seconds``, on ``--pretrain-frames``
  frames spread over the video);
* ``pseudo_labels``: the "previous model version" predicts every
  ``--pseudo-stride``-th video frame, and :mod:`ml_worker.pseudo_labels` adds
  the confident ones to the training split. That model is the baseline itself,
  or, with ``--teacher-steps``, one trained longer on the same labels (a
  project's previous version had its full budget; a weak teacher is sure of
  nothing). Its training time is not counted in the arm.

:func:`run_unlabeled` is what ``bench/training.py`` can call; it returns the
JSON-ready report that the CLI writes to ``<out>/unlabeled.json``.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.artifacts import predict_instances  # noqa: E402
from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import PoseDataset, load_dlc_labeled_folder, make_split  # noqa: E402
from ml_worker.pretrain import PretrainConfig, pretrain_encoder, save_encoder  # noqa: E402
from ml_worker.pseudo_labels import (  # noqa: E402
    add_pseudo_labels,
    pseudo_samples,
    select_pseudo_labels,
)
from ml_worker.train import train  # noqa: E402

OPEN_FIELD = "openfield-Pranav-2018-10-30"
VIDEO = "videos/m3v1mp4.mp4"
VAL_FRACTION, TEST_FRACTION = 0.15, 0.2
ARMS = ("baseline", "pretrained_encoder", "pseudo_labels")


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def read_video_frames(path: Path, indices: list[int]) -> dict[int, np.ndarray]:
    """RGB frames of ``path`` at ``indices`` (one sequential decode)."""
    import av

    wanted, out = set(indices), {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                out[i] = frame.to_ndarray(format="rgb24")
            if i >= max(wanted):
                break
    return out


def label_split(dataset: PoseDataset, n_labels: int | None, seed: int) -> dict[str, list[str]]:
    """Fixed test frames; ``n_labels`` of the others (all: None) as train + validation."""
    base = make_split(dataset.keys, VAL_FRACTION, seed, test_fraction=TEST_FRACTION)
    if n_labels is None:
        return base
    pool = sorted(base["train"] + base["val"])
    picked = np.random.default_rng([seed, n_labels]).choice(len(pool), n_labels, replace=False)
    part = make_split([pool[i] for i in picked], 0.2, seed)
    return {**part, "test": base["test"]}


def _result(result: Any) -> dict[str, Any]:
    test = result.metrics.get("test", {})
    return {"test_rmse_px": test.get("rmse_px"), "val_rmse_px": result.metrics.get("rmse_px"),
            "test_pck10": test.get("pck_10px"), "train_seconds": round(result.seconds, 1), "steps": result.steps,
            "stop": result.status}


def run_unlabeled(n_labels: int | None, *, seconds: float, pretrain_seconds: float,
                  steps: int | None = None, pretrain_steps: int | None = None,
                  pretrain_frames: int = 200, pseudo_stride: int = 5,
                  threshold: float = 0.5, seed: int = 0, arms: tuple[str, ...] = ARMS,
                  teacher_steps: int | None = None,
                  log: Any = print) -> dict[str, Any]:
    """Train the arms at ``n_labels`` labels (None: all) and report their test RMSE.

    ``steps`` / ``pretrain_steps`` cap the optimizer steps as well as the seconds: on a
    shared machine a step budget keeps the arms comparable (same work, any load).
    """
    dataset = load_dlc_labeled_folder(data_dir() / OPEN_FIELD)
    split = label_split(dataset, n_labels, seed)
    cfg = replace(preset("balanced"), max_seconds=seconds, seed=seed)
    if steps:
        cfg = replace(cfg, max_steps=steps)
    video = data_dir() / OPEN_FIELD / VIDEO
    report: dict[str, Any] = {"dataset": OPEN_FIELD, "labels": n_labels or "all",
                              "train_frames": len(split["train"]), "val_frames": len(split["val"]),
                              "test_frames": len(split["test"]), "seconds": seconds,
                              "steps": steps,
                              "load_avg_start": os.getloadavg()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        log(f"== {n_labels or 'all'} labels: {report['train_frames']} train, "
            f"{report['val_frames']} val, {report['test_frames']} test")
        base = train(cfg, dataset, split, Path(tmp) / "baseline")
        report["baseline"] = _result(base)
        log(f"baseline: {report['baseline']}")
        if "pretrained_encoder" in arms:
            count = 2330
            idx = np.linspace(0, count - 1, pretrain_frames).round().astype(int).tolist()
            frames = list(read_video_frames(video, idx).values())
            pcfg = PretrainConfig(max_seconds=pretrain_seconds, seed=seed, filters=cfg.filters,
                                  filters_rate=cfg.filters_rate,
                                  max_steps=pretrain_steps or PretrainConfig.max_steps)
            pre = pretrain_encoder(frames, pcfg)
            enc = save_encoder(Path(tmp) / "encoder.pt", pre, pcfg)
            res = train(replace(cfg, pretrained_encoder=str(enc)), dataset, split,
                        Path(tmp) / "pretrained")
            report["pretrained_encoder"] = {
                **_result(res), "pretrain_seconds": round(pre.seconds, 1),
                "pretrain_steps": pre.steps, "pretrain_frames": len(frames),
                "pretrain_loss": [pre.history[0]["loss"], pre.final_loss] if pre.history else None}
            log(f"pretrained_encoder: {report['pretrained_encoder']}")
        if "pseudo_labels" in arms and base.artifact is not None:
            idx = list(range(0, 2330, pseudo_stride))
            decoded = read_video_frames(video, idx)
            order = sorted(decoded)
            teacher = base
            if teacher_steps:
                teacher = train(replace(cfg, max_steps=teacher_steps), dataset, split,
                                Path(tmp) / "teacher")
                report["teacher"] = _result(teacher)
                log(f"teacher: {report['teacher']}")
            t0 = time.monotonic()
            preds = predict_instances(teacher.artifact, np.stack([decoded[i] for i in order]),
                                      device="cpu")
            arrays = {"points": preds.points, "scores": preds.scores,
                      "instance_scores": preds.instance_scores, "frame_indices": np.array(order)}
            chosen = select_pseudo_labels(arrays, video=0, threshold=threshold, max_frames=10_000)
            samples = pseudo_samples(chosen, lambda _v, i: decoded.get(i))
            ds2, split2 = add_pseudo_labels(dataset, split, samples)
            res = train(cfg, ds2, split2, Path(tmp) / "pseudo")
            animal = np.nanmean(np.clip(preds.scores[:, 0], 0, 1), axis=-1)  # mean node peak
            report["pseudo_labels"] = {
                **_result(res), "threshold": threshold, "predicted_frames": len(order),
                "confident_frames": len(chosen),
                "pseudo_frames": len(split2["train"]) - len(split["train"]),
                "predict_seconds": round(time.monotonic() - t0, 1),
                "animal_score_quantiles": np.nanquantile(animal, [0.1, 0.5, 0.9]).round(3).tolist()}
            log(f"pseudo_labels: {report['pseudo_labels']}")
    report["load_avg_end"] = os.getloadavg()[0]
    for arm in arms[1:]:
        if arm in report and report["baseline"]["test_rmse_px"] is not None:
            report[arm]["test_rmse_change_px"] = round(
                report[arm]["test_rmse_px"] - report["baseline"]["test_rmse_px"], 3)
    return report


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per label count and option: the test RMSE change against the baseline, per seed and
    on average, and whether it helped on every seed (what "on by default" rests on)."""
    out: dict[str, Any] = {}
    for labels in dict.fromkeys(str(r["labels"]) for r in runs):
        same = [r for r in runs if str(r["labels"]) == labels]
        per_arm: dict[str, Any] = {"baseline_test_rmse_px": [r["baseline"]["test_rmse_px"]
                                                             for r in same]}
        for arm in ARMS[1:]:
            changes = [r[arm]["test_rmse_change_px"] for r in same
                       if "test_rmse_change_px" in r.get(arm, {})]
            if changes:
                per_arm[arm] = {"seeds": [r["seed"] for r in same if arm in r],
                                "test_rmse_px": [r[arm]["test_rmse_px"] for r in same if arm in r],
                                "test_rmse_change_px": changes,
                                "mean_change_px": round(float(np.mean(changes)), 3),
                                "helped_seeds": sum(c < 0 for c in changes),
                                "helped_every_seed": all(c < 0 for c in changes)}
        out[labels] = per_arm
    return out


def kept_runs(results: Path, seeds: list[int]) -> list[dict[str, Any]]:
    """The earlier runs in ``results`` of seeds other than ``seeds``: a run of some seeds
    (another arm set, more seeds later) replaces only their entries."""
    if not results.is_file():
        return []
    earlier = json.loads(results.read_text()).get("runs", [])
    return [r for r in earlier if r.get("seed") not in seeds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", default="20,all", help="comma-separated counts or 'all'")
    parser.add_argument("--seconds", type=float, default=240.0, help="training budget per arm")
    parser.add_argument("--steps", type=int, default=None, help="step cap per arm")
    parser.add_argument("--pretrain-seconds", type=float, default=180.0)
    parser.add_argument("--pretrain-steps", type=int, default=None)
    parser.add_argument("--pretrain-frames", type=int, default=200)
    parser.add_argument("--pseudo-stride", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--teacher-steps", type=int, default=None,
                        help="train the pseudo-labels' model this long (default: the baseline)")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--seeds", default="0",
                        help="comma-separated; each seed draws its own test, label and train split")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = [int(x) for x in args.seeds.split(",")]
    results = args.out / "unlabeled.json"
    runs = kept_runs(results, seeds)
    for seed in seeds:
        for n in args.labels.split(","):
            report = run_unlabeled(None if n == "all" else int(n), seconds=args.seconds,
                                   pretrain_seconds=args.pretrain_seconds, steps=args.steps,
                                   pretrain_steps=args.pretrain_steps,
                                   pretrain_frames=args.pretrain_frames,
                                   pseudo_stride=args.pseudo_stride, threshold=args.threshold,
                                   seed=seed, arms=tuple(args.arms.split(",")),
                                   teacher_steps=args.teacher_steps)
            runs.append({"seed": seed, **report})
            results.write_text(
                json.dumps({"summary": summarize(runs), "runs": runs}, indent=1))
    print(json.dumps(summarize(runs), indent=1))


if __name__ == "__main__":
    main()
