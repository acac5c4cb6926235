"""Tracking benchmark: identities kept across a video, from true and from predicted poses.

Usage (from the repository root)::

    python bench/tracking.py                                  # every case
    python bench/tracking.py --cases synthetic_gt_poses,sleap-centered-pair
    python bench/tracking.py --cases synthetic_model_poses --frames 300 --train-frames 40 \
        --train-seconds 90 --out /tmp/bench-tracking                    # smoke (~3 min)

Cases (one object each in ``bench/results/tracking.json``; a run of some
cases replaces only their entries):

* ``synthetic_gt_poses``: the project's synthetic video of three identical
  animals that cross, touch and occlude each other
  (:mod:`ml_worker.synthetic_multi`, 2,000 frames, known identities). The
  tracker gets the true poses with Gaussian noise (``--noise-px``), nodes hidden
  under another animal removed, and the animals in a random order in every
  frame. Only trajectories are needed, so nothing is rendered.
* ``synthetic_model_poses``: the same video rendered, a top-down model trained
  (``--minutes``, or ``--train-seconds`` for a smoke run) on ``--train-frames``
  frames of it labeled with the true
  poses, whole-video inference with :func:`ml_worker.infer.predict_video`, then
  tracking of the model's poses. Video and model are cached in
  ``var/bench/tracking/`` (``--retrain`` ignores the cached model).
* ``sleap-centered-pair``: SLEAP's predictions on its 1,100-frame two-fly video
  (``../shared/data``), re-tracked from scratch (SLEAP's own track ids are
  ignored; it used ``sleap_tracks`` of them). ``longest_track_coverage`` is the
  share of frames the longest track is in.

Every case reports ``tracks_for_n_animals`` (distinct ids the tracker gave) and
``tracking_fps`` (tracking alone, on this CPU, apart from inference); the
synthetic ones also ``id_switches``, ``mota`` and ``idf1``
(:func:`ml_worker.tracking_metrics.tracking_metrics`, OKS match at 0.5, sigma 0.1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.synthetic_multi import (  # noqa: E402
    EDGES,
    NODE_NAMES,
    SYMMETRIES,
    MultiAnimalVideo,
    occlusion,
    trajectories,
    write_multi_video,
)
from ml_worker.tracking import TrackerConfig, track  # noqa: E402
from ml_worker.tracking_metrics import tracking_metrics  # noqa: E402

GT_CASE, MODEL_CASE, PAIR_CASE = "synthetic_gt_poses", "synthetic_model_poses", "sleap-centered-pair"
CASES = (GT_CASE, MODEL_CASE, PAIR_CASE)
N_ANIMALS, WIDTH, HEIGHT = 3, 400, 300
SCALE = WIDTH / 320  # the generator's figure scale for this width
SLP_FILE = "centered_pair_predictions.slp"
TARGETS: dict[str, dict[str, Any]] = {
    GT_CASE: {"id_switches": 0, "tracking_fps": 1000},
    MODEL_CASE: {"id_switches_per_1000_frames": 1.0, "idf1": 0.95, "tracking_fps": 1000},
    PAIR_CASE: {"tracks_for_2_animals": 2, "coverage_of_both_tracks": 0.99, "tracking_fps": 1000},
}


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def timed_track(points: np.ndarray, scores: np.ndarray | None, instance_scores: np.ndarray | None,
                cfg: TrackerConfig) -> tuple[np.ndarray, float]:
    """Track ids and tracking speed in frames per second (best of two runs: a busy CPU)."""
    best = np.inf
    for _ in range(2):
        start = time.perf_counter()
        ids = track(points, scores, instance_scores, config=cfg)
        best = min(best, time.perf_counter() - start)
    return ids, len(points) / best


def score_tracks(gt_points: np.ndarray, points: np.ndarray, ids: np.ndarray,
                 fps: float) -> dict[str, Any]:
    """The tracking metrics of one run against the synthetic ground truth."""
    gt_ids = np.broadcast_to(np.arange(gt_points.shape[1], dtype=np.int32), gt_points.shape[:2])
    m = tracking_metrics(gt_points, gt_ids, points, ids)
    n_frames = len(gt_points)
    return {
        "frames": n_frames,
        "id_switches": m["id_switches"],
        "id_switches_per_1000_frames": round(1000 * m["id_switches"] / n_frames, 3),
        "mota": round(m["mota"], 4),
        "idf1": round(m["idf1"], 4),
        "idp": round(m["idp"], 4),
        "idr": round(m["idr"], 4),
        f"tracks_for_{gt_points.shape[1]}_animals": m["tracks"],
        "tracking_fps": round(fps, 1),
        "misses": m["misses"],
        "false_positives": m["false_positives"],
        "gt_instances": m["gt_instances"],
    }


def noisy_shuffled(points: np.ndarray, visibility: np.ndarray, noise_px: float,
                   seed: int) -> np.ndarray:
    """True poses with noise, hidden nodes removed, animals in a random order per frame."""
    rng = np.random.default_rng(seed)
    noisy = points + rng.normal(0.0, noise_px, points.shape)
    noisy[visibility < 2] = np.nan
    order = np.argsort(rng.random(points.shape[:2]), axis=1)
    return np.take_along_axis(noisy, order[:, :, None, None], axis=1)


def case_gt(args: argparse.Namespace) -> dict[str, Any]:
    """Tracking the true poses (with noise): the tracker's own errors, no model's."""
    gt = trajectories(args.frames, N_ANIMALS, WIDTH, HEIGHT, args.seed, SCALE)
    points = noisy_shuffled(gt, occlusion(gt, SCALE), args.noise_px, args.seed + 7)
    cfg = TrackerConfig(max_tracks=N_ANIMALS)
    ids, fps = timed_track(points, None, None, cfg)
    result = {**score_tracks(gt, points, ids, fps), "noise_px": args.noise_px,
              "tracker": cfg.to_dict()}
    variants = {"online_only_no_max_tracks": replace(cfg, max_tracks=None),
                **{f"motion_{m}": replace(cfg, motion=m) for m in ("none", "kalman")},
                "similarity_centroid": replace(cfg, similarity="centroid")}
    result["variants"] = {}
    for name, variant in variants.items():
        v_ids, v_fps = timed_track(points, None, None, variant)
        s = score_tracks(gt, points, v_ids, v_fps)
        result["variants"][name] = {k: s[k] for k in (
            "id_switches", "idf1", f"tracks_for_{N_ANIMALS}_animals", "tracking_fps")}
    return result


def synthetic_video(args: argparse.Namespace) -> MultiAnimalVideo:
    """The rendered synthetic video (cached: rendering 2,000 frames takes a while)."""
    work = REPO / "var" / "bench" / "tracking"
    path = work / f"synthetic_{args.frames}f_seed{args.seed}.mp4"
    if path.is_file():
        gt = trajectories(args.frames, N_ANIMALS, WIDTH, HEIGHT, args.seed, SCALE)
        return MultiAnimalVideo(path, gt, occlusion(gt, SCALE), 30, WIDTH, HEIGHT)
    print(f"rendering {args.frames} frames to {path}", flush=True)
    return write_multi_video(path, n_frames=args.frames, n_animals=N_ANIMALS, width=WIDTH,
                             height=HEIGHT, seed=args.seed)


def train_model(video: MultiAnimalVideo, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """A top-down model trained on labeled frames of the video (cached unless ``--retrain``)."""
    from ml_worker.artifacts import ModelArtifact
    from ml_worker.config import preset
    from ml_worker.dataset import make_split
    from ml_worker.infer import iter_frames
    from ml_worker.multi_data import MultiAnimalLabels
    from ml_worker.train import train

    seconds = train_budget(args)
    model_dir = video.path.with_name(f"model_{video.path.stem}_{args.train_frames}_{seconds:g}s")
    if (model_dir / "config.json").is_file() and not args.retrain:
        return ModelArtifact.from_dir(model_dir), {"cached_model": str(model_dir)}
    rng = np.random.default_rng(args.seed)
    wanted = sorted(rng.choice(len(video.points), size=args.train_frames, replace=False).tolist())
    want = set(wanted)
    images = {i: img for i, img in iter_frames(video.path, 0, max(wanted) + 1) if i in want}
    names = [f"animal_{a}" for a in range(N_ANIMALS)]
    node = {n: i for i, n in enumerate(NODE_NAMES)}
    labels = MultiAnimalLabels(
        [images[i] for i in wanted], [video.points[i].astype(np.float32) for i in wanted],
        [list(names) for _ in wanted], [f"frame{i}" for i in wanted], list(NODE_NAMES),
        [(node[a], node[b]) for a, b in EDGES], [(node[a], node[b]) for a, b in SYMMETRIES],
        wanted, str(video.path))  # fmt: skip
    split = make_split(labels.keys, val_fraction=0.15, seed=args.seed)
    cfg = replace(preset(args.preset), model_kind="top_down", max_instances=N_ANIMALS,
                  max_seconds=seconds, seed=args.seed, device=args.device)
    print(f"training top-down for {seconds:g} s on {len(split['train'])} frames", flush=True)
    start = time.monotonic()
    result = train(cfg, labels.to_pose_dataset(), split, model_dir)
    if result.artifact is None:
        raise RuntimeError(f"training produced no model ({result.status})")
    info = {"train_frames": len(split["train"]), "validation_frames": len(split["val"]),
            "train_seconds": round(time.monotonic() - start, 1), "steps": result.steps,
            "validation_metrics": {k: result.metrics.get(k) for k in ("map_oks", "rmse_matched_px")
                                   if k in result.metrics}}
    return result.artifact, info


def train_budget(args: argparse.Namespace) -> float:
    """Training budget in seconds: ``--train-seconds`` when given, else ``--minutes``."""
    return float(args.train_seconds) if args.train_seconds is not None else args.minutes * 60


def case_model(args: argparse.Namespace) -> dict[str, Any]:
    """Tracking the project's own model's poses on the synthetic video."""
    try:
        from ml_worker.infer import predict_video
    except ImportError as exc:  # torch-less installs: the case cannot run
        return {"status": f"skipped: {exc}"}
    video = synthetic_video(args)
    artifact, info = train_model(video, args)
    start = time.monotonic()
    preds = predict_video(artifact, video.path, batch_size=16, device=args.device)
    inference_fps = len(preds) / (time.monotonic() - start)
    rows = preds.frame_indices
    cfg = TrackerConfig(max_tracks=N_ANIMALS)
    ids, fps = timed_track(preds.points, preds.scores, preds.instance_scores, cfg)
    gt = video.points[rows]
    return {**score_tracks(gt, preds.points, ids, fps), "inference_fps": round(inference_fps, 1),
            "model": {**info, "budget_seconds": train_budget(args), "preset": args.preset},
            "tracker": cfg.to_dict(), "status": "ok"}


def load_slp_predictions(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """SLEAP predictions as ``points (F, I, K, 2)``, ``instance_scores (F, I)`` and SLEAP's track count."""
    import sleap_io as sio

    labels = sio.load_slp(str(path))
    frames = [lf for lf in labels.labeled_frames if lf.video is labels.videos[0]]
    n_frames = max(lf.frame_idx for lf in frames) + 1
    n_inst = max(len(lf.instances) for lf in frames)
    k = len(labels.skeletons[0].nodes)
    points = np.full((n_frames, n_inst, k, 2), np.nan)
    scores = np.full((n_frames, n_inst), np.nan)
    for lf in frames:
        for i, inst in enumerate(lf.instances):
            points[lf.frame_idx, i] = inst.numpy()
            scores[lf.frame_idx, i] = float(getattr(inst, "score", np.nan))
    return points, scores, len(labels.tracks)


def case_centered_pair(args: argparse.Namespace) -> dict[str, Any]:
    """Re-track SLEAP's predictions of two flies into exactly two identities."""
    path = data_dir() / PAIR_CASE / SLP_FILE
    if not path.is_file():
        return {"status": f"skipped: {path} not found (set POSEFORGE_DATA_DIR)"}
    points, scores, sleap_tracks = load_slp_predictions(path)
    cfg = TrackerConfig(max_tracks=2, min_instance_score=args.min_instance_score)
    ids, fps = timed_track(points, None, scores, cfg)
    tracks = np.unique(ids[ids >= 0])
    coverage = sorted(((ids == t).any(axis=1).mean() for t in tracks), reverse=True)
    return {
        "frames": len(points),
        "tracks_for_2_animals": len(tracks),
        "sleap_tracks": sleap_tracks,
        "longest_track_coverage": round(float(coverage[0]), 4) if coverage else 0.0,
        "coverage_of_both_tracks": round(float(coverage[1]), 4) if len(coverage) > 1 else 0.0,
        "tracking_fps": round(fps, 1),
        "tracker": cfg.to_dict(),
        "status": "ok",
    }


def meets(result: dict[str, Any], targets: dict[str, Any]) -> bool:
    """Whether a case's result reaches its targets (lower is better for switch counts)."""
    def ok(key: str, target: Any) -> bool:
        value = result.get(key)
        if value is None:
            return False
        if key.startswith("id_switches") or key.startswith("tracks_for"):
            return value <= target if key.startswith("id_switches") else value == target
        return value >= target
    return all(ok(k, t) for k, t in targets.items())


def main() -> None:
    """Run the chosen cases and merge their results into the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--frames", type=int, default=2000, help="synthetic video length")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise-px", type=float, default=1.5)
    parser.add_argument("--train-frames", type=int, default=150)
    parser.add_argument("--minutes", type=float, default=10.0, help="model training budget")
    parser.add_argument("--train-seconds", type=float, default=None,
                        help="training budget in seconds, instead of --minutes (smoke runs)")
    parser.add_argument("--preset", default="balanced")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--min-instance-score", type=float, default=5.0,
                        help="SLEAP instance scores below this are not tracked")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    runners: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
        GT_CASE: case_gt, MODEL_CASE: case_model, PAIR_CASE: case_centered_pair}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "tracking.json"
    report = json.loads(path.read_text()) if path.is_file() else {}
    failures = []
    for name in args.cases.split(","):
        print(f"== {name}", flush=True)
        try:
            result = runners[name](args)
        except Exception as exc:  # record it and go on: one broken case must not cost the others
            traceback.print_exc()
            failures.append(name)
            result = {"status": f"error: {type(exc).__name__}: {exc}"[:500]}
        result["targets"] = TARGETS[name]
        result["meets_targets"] = meets(result, TARGETS[name])
        report[name] = result
        report["machine"] = {"cpu": f"{os.cpu_count()} cores, "
                                    f"{platform.processor() or platform.machine()}",
                             "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
        path.write_text(json.dumps(report, indent=2))
        print(json.dumps({k: v for k, v in result.items() if k != "tracker"}, indent=2),
              flush=True)
    if failures:
        sys.exit(f"failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
