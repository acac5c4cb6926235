"""Training benchmark: DLC open-field mouse, fixed 80/20 split, wall-clock budget.

Usage (from the repository root)::

    python bench/training.py                 # 600 s budget, writes bench/results/
    python bench/training.py --seconds 120   # shorter run

Writes ``bench/results/training_split.json`` (the seeded split, reused if it
already exists) and ``bench/results/training.json`` (train_frames,
test_frames, train_seconds, images_per_second, rmse_px, pck_5px, pck_10px,
per_node_rmse_px, peak_rss_mb, device, ...). The data folder comes from
``POSEFORGE_DATA_DIR`` (default ``../shared/data`` next to the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import load_dlc_labeled_folder, make_split  # noqa: E402
from ml_worker.train import train  # noqa: E402

DATASET = "openfield-Pranav-2018-10-30"


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def load_split(path: Path, keys: list[str], seed: int) -> dict[str, list[str]]:
    """The stored split, or a new seeded 80/20 one (then stored)."""
    if path.is_file():
        split = json.loads(path.read_text())
        if set(split["train"]) | set(split["val"]) == set(keys):
            return split
    split = make_split(keys, val_fraction=0.2, seed=seed)
    path.write_text(json.dumps({"seed": seed, **split}, indent=2))
    return split


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="wall-clock budget")
    parser.add_argument("--preset", default="balanced")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()

    project = data_dir() / DATASET
    if not project.is_dir():
        sys.exit(f"data set not found: {project} (set POSEFORGE_DATA_DIR)")
    args.out.mkdir(parents=True, exist_ok=True)
    dataset = load_dlc_labeled_folder(project)
    split = load_split(args.out / "training_split.json", dataset.keys, args.seed)
    cfg = replace(preset(args.preset), max_seconds=args.seconds, seed=args.seed)

    def progress(p: dict) -> None:
        if p["val_loss"] is not None:
            print(f"[{p['elapsed_seconds']:6.1f}s] {p['stage']:8s} step {p['step']:5d} "
                  f"train {p['train_loss']:.3f} val {p['val_loss']:.3f}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        result = train(cfg, dataset, {"train": split["train"], "val": split["val"]}, tmp,
                       on_progress=progress)
        seconds = time.monotonic() - start
    m = result.metrics
    steps = result.steps
    report = {
        "dataset": DATASET,
        "train_frames": len(split["train"]),
        "test_frames": len(split["val"]),
        "train_seconds": round(seconds, 1),
        "images_per_second": round(steps * cfg.batch_size / seconds, 2),
        "rmse_px": m["rmse_px"],
        "pck_2px": m["pck_2px"],
        "pck_5px": m["pck_5px"],
        "pck_10px": m["pck_10px"],
        "per_node_rmse_px": m["per_node_rmse_px"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device": result.artifact.extra["device"] if result.artifact else "n/a",
        "steps": steps,
        "status": result.status,
        "budget_seconds": args.seconds,
        "preset": args.preset,
        "cpu_threads": os.cpu_count(),
        "geometry": result.artifact.geometry.to_dict() if result.artifact else None,
    }
    (args.out / "training.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "geometry"}, indent=2))


if __name__ == "__main__":
    main()
