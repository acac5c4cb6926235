"""Multi-animal benchmark: top-down vs bottom-up on two data sets, fixed seeded splits.

Usage (from the repository root)::

    python bench/multi_animal.py                      # 10 min per model kind, both data sets
    python bench/multi_animal.py --minutes 1 --datasets sleap-centered-pair --kinds top_down

Data sets (under ``POSEFORGE_DATA_DIR``, default ``../shared/data``):

* ``MontBlanc-Daniel-2019-12-16``: 42 labeled 1920x1080 frames, up to 7 birds,
  4 nodes; seeded 80/20 train/test split of the frames. Inference speed is
  measured on the test images.
* ``sleap-centered-pair``: SLEAP's predictions on a 1100-frame 384x384 video of
  two flies, used as labels (instances scoring below ``--min-instance-score``
  dropped): 200 training frames and 100 test frames. Neighbouring video frames
  are near copies, so the video is cut into 50-frame blocks, a seeded quarter of
  the blocks is for testing, and test frames keep ``TEST_GAP`` frames away from
  any training block. Inference speed is end to end (decode + model) on the
  whole video with :func:`ml_worker.infer.predict_video`, and the test frames
  are scored from that same run.

Validation vs test: :func:`ml_worker.train.train` is given only the training
labels; a seeded share of them (``--val-fraction``) is its validation split
(early stopping and the choice of checkpoint look only at those). Test frames
never reach training. Splits are saved to ``bench/results/multi_animal_splits.json``
and reused. Results go to ``bench/results/multi_animal.json``: one object per
data set, keyed by its folder name, with one object per model kind (runs of a
subset replace only their own entries) and ``best_kind`` (highest ``map_oks``).
Metrics are :func:`ml_worker.metrics_multi.evaluate` (COCO OKS mAP/mAR with a
uniform ``--oks-sigma``, Hungarian-matched RMSE, missed/spurious instances).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.artifacts import ModelArtifact, predict_instances  # noqa: E402
from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import make_split  # noqa: E402
from ml_worker.infer import predict_video  # noqa: E402
from ml_worker.metrics_multi import evaluate  # noqa: E402
from ml_worker.multi_data import (  # noqa: E402
    MultiAnimalLabels,
    load_dlc_multianimal,
    load_slp_as_labels,
    slp_video_path,
)
from ml_worker.train import train  # noqa: E402

MONTBLANC = "MontBlanc-Daniel-2019-12-16"
CENTERED_PAIR = "sleap-centered-pair"
SLP_FILE = "centered_pair_predictions.slp"
KINDS = ("top_down", "bottom_up")
TARGETS = {MONTBLANC: {"map_oks": 0.6},
           CENTERED_PAIR: {"map_oks": 0.85, "inference_fps": 50.0}}
BLOCK, TEST_GAP = 50, 5
CP_TRAIN, CP_TEST = 200, 100
SPLITS_FILE, RESULTS_FILE = "multi_animal_splits.json", "multi_animal.json"
# OKS sigma: each data set is scored with the convention of the tool that made it, chosen
# before any model was run: DeepLabCut's evaluation uses 0.1, SLEAP's 0.025. Both are
# reported for every data set (``map_oks_sigma_0.025`` / ``map_oks_sigma_0.1``).
DLC_SIGMA, SLEAP_SIGMA = 0.1, 0.025
NATIVE_SIGMA = {MONTBLANC: DLC_SIGMA, CENTERED_PAIR: SLEAP_SIGMA}


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def montblanc_split(keys: list[str], seed: int, val_fraction: float) -> dict[str, list[str]]:
    """80/20 train/test of the labeled frames, then validation carved from train."""
    outer = make_split(keys, val_fraction=0.2, seed=seed)
    inner = make_split(outer["train"], val_fraction=val_fraction, seed=seed)
    return {"train": inner["train"], "val": inner["val"], "test": outer["val"]}


def centered_pair_split(frames: list[int], seed: int, val_fraction: float) -> dict[str, list[str]]:
    """Block-wise split of the video's frames (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_blocks = max(frames) // BLOCK + 1
    test_blocks = set(rng.permutation(n_blocks)[: max(1, n_blocks // 4)].tolist())
    train_pool = [f for f in frames if f // BLOCK not in test_blocks]
    train_set = set(train_pool)
    test_pool = [f for f in frames if f // BLOCK in test_blocks
                 and not any(g in train_set for g in range(f - TEST_GAP, f + TEST_GAP + 1))]
    train = sorted(rng.choice(train_pool, size=CP_TRAIN, replace=False).tolist())
    test = sorted(rng.choice(test_pool, size=CP_TEST, replace=False).tolist())
    inner = make_split([f"frame{f}" for f in train], val_fraction=val_fraction, seed=seed)
    return {"train": sorted(inner["train"], key=_frame_no), "val": sorted(inner["val"], key=_frame_no),
            "test": [f"frame{f}" for f in test]}


def _frame_no(key: str) -> int:
    return int(key.removeprefix("frame"))


def load_split(path: Path, name: str, make: Callable[[], dict[str, list[str]]],
               seed: int, val_fraction: float) -> dict[str, list[str]]:
    """The stored split of data set ``name``, or a new one (then stored)."""
    stored = json.loads(path.read_text()) if path.is_file() else {}
    entry = stored.get(name)
    if entry and (entry.get("seed"), entry.get("val_fraction")) == (seed, val_fraction):
        return {k: entry[k] for k in ("train", "val", "test")}
    split = make()
    stored[name] = {"seed": seed, "val_fraction": val_fraction, **split}
    path.write_text(json.dumps(stored, indent=1))
    return split


def prepare(name: str, seed: int, val_fraction: float, out: Path,
            min_score: float) -> tuple[MultiAnimalLabels, dict[str, list[str]]]:
    """The labels (train + val + test frames only) and the split of one data set."""
    root = data_dir() / name
    if not root.is_dir():
        sys.exit(f"data set not found: {root} (set POSEFORGE_DATA_DIR)")
    if name == MONTBLANC:
        labels = load_dlc_multianimal(root)
        split = load_split(out / SPLITS_FILE, name,
                           lambda: montblanc_split(labels.keys, seed, val_fraction), seed,
                           val_fraction)
        return labels, split
    import sleap_io as sio

    slp = root / SLP_FILE
    all_frames = sorted(lf.frame_idx for lf in sio.load_slp(str(slp)).labeled_frames)
    split = load_split(out / SPLITS_FILE, name,
                       lambda: centered_pair_split(all_frames, seed, val_fraction), seed,
                       val_fraction)
    wanted = [_frame_no(k) for part in split.values() for k in part]
    return load_slp_as_labels(slp, frames=wanted, min_instance_score=min_score), split


def run_kind(name: str, kind: str, labels: MultiAnimalLabels, split: dict[str, list[str]],
             args: argparse.Namespace) -> dict[str, Any]:
    """Train one model kind on the training labels, then score it on the test frames."""
    fit_keys = split["train"] + split["val"]
    assert not set(fit_keys) & set(split["test"]), "test frames overlap the training labels"
    dataset = labels.subset(fit_keys).to_pose_dataset()  # test frames never reach train()
    cfg = replace(preset(args.preset), model_kind=kind, max_seconds=args.minutes * 60,
                  seed=args.seed, device=args.device)
    test = labels.subset(split["test"])
    print(f"== {name} / {kind}: {len(split['train'])} train, {len(split['val'])} val, "
          f"{len(test)} test, {args.minutes:g} min", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        result = train(cfg, dataset, {"train": split["train"], "val": split["val"]}, tmp,
                       on_progress=_progress(kind))
        seconds = time.monotonic() - start
    if result.artifact is None:
        return {"model_kind": kind, "status": result.status, "error": "training produced no model"}
    if name == CENTERED_PAIR:
        pred, backends, n_infer = _video_predictions(result.artifact, labels, test,
                                                     args.batch_size, args.backends.split(","))
    else:
        pred, backends, n_infer = _image_predictions(result.artifact, test, args.batch_size)
    fps = max((b["fps"] for b in backends.values() if "fps" in b), default=0.0)
    gt, vis = test.gt_arrays()
    sigma = args.oks_sigma if args.oks_sigma is not None else NATIVE_SIGMA[name]
    metrics = evaluate(*pred, gt, vis, labels.node_names, sigma=sigma,
                       pck_threshold_px=args.pck_px)
    by_sigma = {s: evaluate(*pred, gt, vis, labels.node_names, sigma=s)["map_oks"]
                for s in (SLEAP_SIGMA, DLC_SIGMA)}
    return {
        "model_kind": kind,
        "train_frames": len(split["train"]),
        "validation_frames": len(split["val"]),
        "test_frames": len(test),
        **{k: _round(metrics[k]) for k in (
            "map_oks", "mar_oks", "ap50", "ap75", "rmse_matched_px", "pck", "missed_instances",
            "spurious_instances", "matched_instances", "gt_instances", "unpredicted_points")},
        "inference_fps": round(fps, 2),
        "inference_frames": n_infer,
        "inference_backends": backends,
        **{f"map_oks_sigma_{s:g}": _round(v) for s, v in by_sigma.items()},
        "per_node": {n: {k: _round(v) for k, v in d.items()} for n, d in metrics["per_node"].items()},
        "validation_metrics": {k: _round(result.metrics.get(k))
                               for k in ("map_oks", "mar_oks", "rmse_matched_px", "rmse_px")},
        "train_seconds": round(seconds, 1),
        "steps": result.steps,
        "status": result.status,
        "budget_minutes": args.minutes,
        "max_instances": result.artifact.max_instances,
        "device": result.artifact.extra.get("device"),
        "settings": {"preset": args.preset, "seed": args.seed, "oks_sigma": sigma,
                     "pck_threshold_px": args.pck_px, "match_oks": metrics["match_oks"],
                     "batch_size": args.batch_size},
    }


def _video_predictions(artifact: ModelArtifact, labels: MultiAnimalLabels,
                       test: MultiAnimalLabels, batch_size: int,
                       backends: list[str]) -> tuple[tuple, dict[str, Any], int]:
    """Whole-video inference with each backend, timed end to end (decode + model).

    The test frames are scored from the first backend that ran (torch by default);
    ``inference_fps`` is the fastest backend's.
    """
    video = slp_video_path(Path(labels.source))
    timings: dict[str, Any] = {}
    scored = None
    with tempfile.TemporaryDirectory() as tmp:
        for name in backends:
            try:
                model = artifact if name == "torch" else _onnx(artifact, Path(tmp) / "m.onnx")
                start = time.monotonic()
                p = predict_video(model, video, batch_size=batch_size, device="cpu")
            except Exception as exc:  # a backend the model kind lacks must not sink the run
                timings[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                continue
            timings[name] = {"fps": round(len(p) / (time.monotonic() - start), 2)}
            if scored is None:
                scored = p
    if scored is None:
        raise RuntimeError(f"no inference backend ran: {timings}")
    row = {int(f): i for i, f in enumerate(scored.frame_indices)}
    rows = [row[f] for f in test.frame_indices or []]
    inst = (scored.instance_scores if scored.instance_scores is not None
            else np.nanmean(scored.scores, axis=-1))
    return (scored.points[rows], scored.scores[rows], inst[rows]), timings, len(scored)


def _onnx(artifact: ModelArtifact, path: Path) -> Any:
    from ml_worker.infer import onnx_session

    return onnx_session(artifact, path)


def _image_predictions(artifact: ModelArtifact, test: MultiAnimalLabels,
                       batch_size: int) -> tuple[tuple, dict[str, Any], int]:
    """Inference on the test images (same size, torch), timed without building the module."""
    module = artifact.build_module()
    frames = np.stack(test.images)
    start = time.monotonic()
    p = predict_instances(module, frames, batch_size=batch_size, device="cpu")
    fps = len(frames) / (time.monotonic() - start)
    return (p.points, p.scores, p.instance_scores), {"torch": {"fps": round(fps, 2)}}, len(frames)


def _progress(kind: str) -> Callable[[dict], None]:
    def show(p: dict) -> None:
        if p.get("val_loss") is not None:
            print(f"[{kind} {p.get('elapsed_seconds', 0):6.1f}s] {p.get('stage', ''):8s} "
                  f"step {p.get('step', 0):5d} val {p['val_loss']:.4f}", flush=True)
    return show


def _round(value: Any, digits: int = 4) -> Any:
    return round(float(value), digits) if isinstance(value, float | np.floating) else value


def summarize(entry: dict[str, Any], name: str) -> None:
    """Add ``best_kind`` and the targets each kind meets to a data set's entry."""
    kinds = {k: v for k, v in entry.items() if k in KINDS and v.get("map_oks") is not None}
    entry.pop("best_kind", None)
    if kinds:
        entry["best_kind"] = max(kinds, key=lambda k: kinds[k]["map_oks"])
    entry["targets"] = TARGETS[name]
    for v in kinds.values():
        v["meets_targets"] = all(v.get(k) is not None and v[k] >= t
                                 for k, t in TARGETS[name].items())


def machine_info() -> dict[str, Any]:
    """Where the numbers came from (a loaded machine trains and infers slower)."""
    return {
        "cpu": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "torch_threads": torch.get_num_threads(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per kind")
    parser.add_argument("--datasets", default=f"{MONTBLANC},{CENTERED_PAIR}")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--preset", default="balanced")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-fraction", type=float, default=0.15,
                        help="share of the training labels held out for validation")
    parser.add_argument("--min-instance-score", type=float, default=5.0)
    parser.add_argument("--oks-sigma", type=float, default=None,
                        help="OKS sigma for map_oks (default: the data set's native convention)")
    parser.add_argument("--pck-px", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--backends", default="torch,onnx",
                        help="video inference backends to time (the fastest is reported)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / RESULTS_FILE
    report = json.loads(results_path.read_text()) if results_path.is_file() else {}
    failures: list[str] = []
    for name in args.datasets.split(","):
        labels, split = prepare(name, args.seed, args.val_fraction, args.out,
                                args.min_instance_score)
        entry = report.setdefault(name, {})
        entry.update({"frames": {k: len(v) for k, v in split.items()},
                      "split_file": SPLITS_FILE, "node_names": labels.node_names})
        for kind in args.kinds.split(","):
            try:
                entry[kind] = run_kind(name, kind, labels, split, args)
            except Exception as exc:  # record it and go on: one broken kind must not cost the others
                traceback.print_exc()
                failures.append(f"{name}/{kind}")
                entry[kind] = {"model_kind": kind, "error": f"{type(exc).__name__}: {exc}"[:500],
                               "budget_minutes": args.minutes}
            summarize(entry, name)
            report["best_kind_by_dataset"] = {
                n: report[n].get("best_kind") for n in TARGETS if n in report}
            report["machine"] = machine_info()
            results_path.write_text(json.dumps(report, indent=2))
            print(json.dumps({k: v for k, v in entry[kind].items() if k != "per_node"}, indent=2),
                  flush=True)
    if failures:
        sys.exit(f"failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
