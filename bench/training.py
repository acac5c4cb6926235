"""Training benchmark: three data sets, each with its own fixed train/validation/test split.

Usage (from the repository root)::

    python bench/training.py                              # 600 s per data set, bench/results/
    python bench/training.py --seconds 60 --out /tmp/bt   # a quick check
    python bench/training.py --datasets openfield-Pranav-2018-10-30

Every data set gets the same wall-clock budget and the same preset, from scratch.
Its frames are split once, seeded, into three disjoint sets:

* train: what the model is fitted on;
* validation: early stopping and the choice of checkpoint (:func:`ml_worker.train.train`
  looks at nothing else);
* test: scored once training is over, and the figure reported. ``test_to_val_ratio``
  (test RMSE / validation RMSE) shows how optimistic the validation figure was;
  ``ratio_ok`` checks it is at most 2.

Data sets (under ``POSEFORGE_DATA_DIR``, default ``../shared/data``):

* ``openfield-Pranav-2018-10-30``: 116 frames, 640x480, one mouse, 4 nodes. Targets:
  test RMSE <= 5 px and test PCK@10px >= 0.95.
* ``Reaching-Mackenzie-2018-08-30``: 55 frames of two sizes (832x747 and 640x470),
  5 nodes; the tongue is labeled in 15 frames only.
* ``sleap-centered-pair``: SLEAP's predictions of two flies (24 nodes) on a 384x384
  video, instances scoring under 5 dropped, used as labels. The single-animal
  pipeline trains on one fly per sample: a CROP x CROP cut around each fly, its
  centre jittered (seeded) so the fly is not always in the middle; the other fly
  may be in view. Neighbouring video frames are near copies, so the split is by
  50-frame blocks (test and validation frames keep GAP frames from a block edge):
  150 training frames, 30 validation, 60 test, two flies each.

Writes ``<out>/training_split.json`` (per data set: seed and the frame keys of each
set; reused when present) and ``<out>/training.json`` (per data set: frame counts,
val_rmse_px, test_rmse_px, test_pck10, test_to_val_ratio, ratio_ok, ...; then
``checks``). ``--datasets`` runs a subset and replaces only those entries.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import (  # noqa: E402
    PoseDataset,
    PoseSample,
    load_dlc_labeled_folder,
    make_split,
)
from ml_worker.train import train  # noqa: E402

OPEN_FIELD = "openfield-Pranav-2018-10-30"
REACHING = "Reaching-Mackenzie-2018-08-30"
CENTERED_PAIR = "sleap-centered-pair"
DATASETS = (OPEN_FIELD, REACHING, CENTERED_PAIR)
VAL_FRACTION, TEST_FRACTION = 0.15, 0.2
TARGETS = {OPEN_FIELD: {"max_test_rmse_px": 5.0, "min_test_pck10": 0.95}}
MAX_TEST_TO_VAL = 2.0
# centered pair: crop side, centre jitter (px), blocks, gap (frames), frames per set
CROP, JITTER, BLOCK, GAP = 160, 16, 50, 5
PAIR_FRAMES = {"train": 150, "val": 30, "test": 60}
MIN_INSTANCE_SCORE = 5.0
SPLIT_FILE, RESULTS_FILE = "training_split.json", "training.json"


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def stored_split(path: Path, name: str, seed: int,
                 make: Callable[[], dict[str, list[str]]]) -> dict[str, list[str]]:
    """Data set ``name``'s split from ``path``, or a new one (then stored beside the others)."""
    stored = json.loads(path.read_text()) if path.is_file() else {}
    entry = stored.get(name)
    if isinstance(entry, dict) and entry.get("seed") == seed and "test" in entry:
        return {k: entry[k] for k in ("train", "val", "test")}
    split = make()
    stored = {k: v for k, v in stored.items() if k in DATASETS}  # drops the old one-set format
    stored[name] = {"seed": seed, **split}
    path.write_text(json.dumps(stored, indent=1))
    return split


def load_dlc(name: str, seed: int, split_path: Path) -> tuple[PoseDataset, dict[str, list[str]]]:
    """A DLC single-animal folder and its seeded random split of frames."""
    dataset = load_dlc_labeled_folder(data_dir() / name)
    split = stored_split(split_path, name, seed, lambda: make_split(
        dataset.keys, VAL_FRACTION, seed, test_fraction=TEST_FRACTION))
    return dataset, split


def pair_frame_split(frames: list[int], seed: int) -> dict[str, list[str]]:
    """Block-wise split of the video's frames: ``{"train", "val", "test"}`` of ``frame<i>``."""
    rng = np.random.default_rng(seed)
    blocks = rng.permutation(max(frames) // BLOCK + 1).tolist()
    n_test, n_val = max(1, len(blocks) // 4), max(1, len(blocks) // 8)
    owner = {b: "test" for b in blocks[:n_test]}
    owner.update({b: "val" for b in blocks[n_test:n_test + n_val]})

    def part(f: int) -> str:
        return owner.get(f // BLOCK, "train")

    def near_edge(f: int) -> bool:
        return f % BLOCK < GAP or f % BLOCK >= BLOCK - GAP

    split = {}
    for name, count in PAIR_FRAMES.items():
        pool = [f for f in frames if part(f) == name and (name == "train" or not near_edge(f))]
        chosen = rng.choice(pool, size=min(count, len(pool)), replace=False)
        split[name] = [f"frame{f}" for f in sorted(chosen.tolist())]
    return split


def fly_crops(images: list[np.ndarray], points: list[np.ndarray], keys: list[str],
              seed: int) -> list[PoseSample]:
    """One CROP x CROP sample per fly, centred on it with a seeded jitter; points outside are NaN."""
    half = CROP // 2
    samples = []
    for image, animals, key in zip(images, points, keys, strict=True):
        padded = np.pad(image, ((half, half), (half, half), (0, 0)))
        frame = int(key.removeprefix("frame"))
        for i, pts in enumerate(animals):
            if not np.isfinite(pts).any():
                continue
            jitter = np.random.default_rng([seed, frame, i]).uniform(-JITTER, JITTER, 2)
            centre = np.round(np.nanmean(pts, axis=0) + jitter).astype(int)
            cx, cy = np.clip(centre, 0, [image.shape[1], image.shape[0]])
            crop = padded[cy:cy + CROP, cx:cx + CROP]  # padded origin = frame (cx - half, cy - half)
            local = pts - [cx - half, cy - half]
            local[~((local >= 0) & (local < CROP)).all(axis=1)] = np.nan
            samples.append(PoseSample.from_points(np.ascontiguousarray(crop), local.astype(np.float32),
                                                  f"{key}/fly{i}"))
    return samples


def load_centered_pair(seed: int, split_path: Path) -> tuple[PoseDataset, dict[str, list[str]]]:
    """Fly crops of the split's frames; the stored split names frames, the returned one crops."""
    import sleap_io as sio

    from ml_worker.multi_data import load_slp_as_labels

    slp = data_dir() / CENTERED_PAIR / "centered_pair_predictions.slp"
    frames = sorted(lf.frame_idx for lf in sio.load_slp(str(slp)).labeled_frames)
    by_frame = stored_split(split_path, CENTERED_PAIR, seed, lambda: pair_frame_split(frames, seed))
    wanted = [int(k.removeprefix("frame")) for part in by_frame.values() for k in part]
    labels = load_slp_as_labels(slp, frames=wanted, min_instance_score=MIN_INSTANCE_SCORE)
    samples = fly_crops(labels.images, labels.points, labels.keys, seed)
    dataset = PoseDataset(samples, list(labels.node_names), list(labels.symmetries),
                          list(labels.edges))
    part_of = {k: name for name, keys in by_frame.items() for k in keys}
    split: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for key in dataset.keys:
        split[part_of[key.split("/")[0]]].append(key)
    return dataset, split


def run_one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train on one data set's train frames and report its validation and test figures."""
    split_path = args.out / SPLIT_FILE
    if name == CENTERED_PAIR:
        dataset, split = load_centered_pair(args.seed, split_path)
    else:
        dataset, split = load_dlc(name, args.seed, split_path)
    cfg = replace(preset(args.preset), max_seconds=args.seconds, seed=args.seed)
    print(f"== {name}: {len(split['train'])} train, {len(split['val'])} val, "
          f"{len(split['test'])} test samples, {args.seconds:g} s", flush=True)

    def progress(p: dict) -> None:
        if p["val_loss"] is not None:
            print(f"[{p['elapsed_seconds']:6.1f}s] {p['stage']:8s} step {p['step']:5d} "
                  f"train {p['train_loss']:.3f} val {p['val_loss']:.3f}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        result = train(cfg, dataset, split, tmp, on_progress=progress)
        seconds = time.monotonic() - start
    val, test = result.metrics, result.metrics.get("test", {})
    ratio = _ratio(test.get("rmse_px"), val.get("rmse_px"))
    frames = {part: len({k.split("/")[0] for k in keys}) for part, keys in split.items()}
    report = {
        "train_frames": frames["train"],
        "val_frames": frames["val"],
        "test_frames": frames["test"],
        # samples = frames, except centered pair: one crop per fly
        "train_samples": len(split["train"]),
        "val_samples": len(split["val"]),
        "test_samples": len(split["test"]),
        "val_rmse_px": _round(val.get("rmse_px")),
        "test_rmse_px": _round(test.get("rmse_px")),
        "test_pck10": _round(test.get("pck_10px")),
        "test_pck5": _round(test.get("pck_5px")),
        "val_pck10": _round(val.get("pck_10px")),
        "test_to_val_ratio": _round(ratio),
        "ratio_ok": ratio is not None and ratio <= MAX_TEST_TO_VAL,
        "test_per_node_rmse_px": {k: _round(v) for k, v in test.get("per_node_rmse_px", {}).items()},
        "budget_seconds": args.seconds,
        "train_seconds": round(seconds, 1),
        "images_per_second": round(result.steps * cfg.batch_size / seconds, 2),
        "steps": result.steps,
        "status": result.status,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device": result.artifact.extra["device"] if result.artifact else "n/a",
        "geometry": result.artifact.geometry.to_dict() if result.artifact else None,
    }
    target = TARGETS.get(name)
    if target:
        report["targets"] = target
        report["targets_met"] = (
            report["test_rmse_px"] is not None and report["test_pck10"] is not None
            and report["test_rmse_px"] <= target["max_test_rmse_px"]
            and report["test_pck10"] >= target["min_test_pck10"])
    return report


def _ratio(test: float | None, val: float | None) -> float | None:
    return test / val if test is not None and val else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="budget per data set")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--preset", default="balanced")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    names = [n for n in args.datasets.split(",") if n]
    for name in names:
        if name not in DATASETS:
            sys.exit(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")
        if not (data_dir() / name).is_dir():
            sys.exit(f"data set not found: {data_dir() / name} (set POSEFORGE_DATA_DIR)")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / RESULTS_FILE
    previous = json.loads(path.read_text()) if path.is_file() else {}
    results = dict(previous.get("datasets", {})) if "datasets" in previous else {}
    for name in names:
        results[name] = run_one(name, args)
        write_results(path, results, args)
    print(json.dumps(summary(results), indent=2))


def summary(results: dict[str, Any]) -> dict[str, Any]:
    keys = ("train_frames", "val_frames", "test_frames", "val_rmse_px", "test_rmse_px",
            "test_pck10", "test_to_val_ratio", "ratio_ok", "targets_met", "status", "steps")
    return {name: {k: r[k] for k in keys if k in r} for name, r in results.items()}


def write_results(path: Path, results: dict[str, Any], args: argparse.Namespace) -> None:
    checks = {f"{name}_ratio_ok": r["ratio_ok"] for name, r in results.items()}
    checks.update({f"{name}_targets_met": r["targets_met"] for name, r in results.items()
                   if "targets_met" in r})
    path.write_text(json.dumps({
        "budget_seconds_per_dataset": args.seconds,
        "preset": args.preset,
        "seed": args.seed,
        "cpu_threads": os.cpu_count(),
        "max_test_to_val_ratio": MAX_TEST_TO_VAL,
        "datasets": results,
        "checks": {**checks, "all_ok": all(checks.values())},
    }, indent=2))


if __name__ == "__main__":
    main()
