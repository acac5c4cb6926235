"""Video inference benchmark: DLC open-field mouse video, 2330 frames of 640x480.

Usage (from the repository root)::

    python bench/inference.py                   # model cached in var/bench/, trained if missing
    python bench/inference.py --model DIR       # an existing artifact directory
    python bench/inference.py --frames 500      # only the first 500 frames

Measures, on the same video: PyAV decode to RGB arrays alone (``decode_only_fps``),
then :func:`ml_worker.infer.predict_video` end to end with the torch module and
with an onnxruntime session of the same model (``backends``). ``fps`` is the
faster of the two; ``backend`` says which. Writes ``bench/results/inference.json``.
If no model is cached, one is trained for ``--train-seconds`` (balanced preset,
seeded 80/20 split of the labeled frames) into ``var/bench/inference_model``.
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
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml_worker.artifacts import ModelArtifact  # noqa: E402
from ml_worker.config import preset  # noqa: E402
from ml_worker.dataset import load_dlc_labeled_folder, make_split  # noqa: E402
from ml_worker.infer import iter_frames, onnx_session, predict_video  # noqa: E402
from ml_worker.train import train  # noqa: E402

DATASET = "openfield-Pranav-2018-10-30"


def data_dir() -> Path:
    """The shared data folder."""
    return Path(os.environ.get("POSEFORGE_DATA_DIR", REPO.parent / "shared" / "data"))


def load_or_train(model_dir: Path, seconds: float) -> ModelArtifact:
    """The cached artifact, or a freshly trained one saved there."""
    if (model_dir / "config.json").is_file():
        return ModelArtifact.from_dir(model_dir)
    dataset = load_dlc_labeled_folder(data_dir() / DATASET)
    split = make_split(dataset.keys, 0.2, seed=0)
    print(f"training a model for {seconds:.0f} s into {model_dir}", flush=True)
    result = train(replace(preset("balanced"), max_seconds=seconds), dataset, split, model_dir)
    assert result.artifact is not None
    return result.artifact


def decode_fps(video: Path, stop: int | None) -> tuple[float, int]:
    """Frames per second of decoding to ``(H, W, 3)`` uint8 RGB, same settings as inference."""
    start, n = time.monotonic(), 0
    for _ in iter_frames(video, 0, stop):
        n += 1
    return n / (time.monotonic() - start), n


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "var" / "bench" / "inference_model")
    parser.add_argument("--train-seconds", type=float, default=120.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--frames", type=int, default=None, help="only the first N frames")
    parser.add_argument("--backends", default="torch,onnx")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()

    video = data_dir() / DATASET / "videos" / "m3v1mp4.mp4"
    if not video.is_file():
        sys.exit(f"video not found: {video} (set POSEFORGE_DATA_DIR)")
    artifact = load_or_train(args.model, args.train_seconds)
    decode, n_decoded = decode_fps(video, args.frames)
    print(f"decode only: {decode:.1f} fps over {n_decoded} frames", flush=True)

    backends: dict[str, dict] = {}
    preds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            model = artifact if name == "torch" else onnx_session(artifact, Path(tmp) / "m.onnx")
            start = time.monotonic()
            p = predict_video(
                model,
                video,
                batch_size=args.batch_size,
                stop=args.frames,
                with_features=True,
                device="cpu",
            )
            seconds = time.monotonic() - start
            preds[name] = p
            backends[name] = {"fps": round(len(p) / seconds, 2), "seconds": round(seconds, 1)}
            print(f"{name}: {backends[name]['fps']} fps", flush=True)
    best = max(backends, key=lambda b: backends[b]["fps"])
    p = preds[best]
    if {"torch", "onnx"} <= set(preds):
        diff = np.linalg.norm(preds["torch"].points - preds["onnx"].points, axis=-1)
        backends["onnx"]["max_point_diff_vs_torch_px"] = round(float(diff.max()), 5)
    report = {
        "fps": backends[best]["fps"],
        "decode_only_fps": round(decode, 2),
        "frames": len(p),
        "width": p.width,
        "height": p.height,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device": f"cpu ({os.cpu_count()} cores, {platform.processor() or platform.machine()})",
        "backend": best,
        "backends": backends,
        "batch_size": args.batch_size,
        "with_features": True,
        "torch_threads": torch.get_num_threads(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "model": {
            "dir": str(
                args.model.relative_to(REPO) if args.model.is_relative_to(REPO) else args.model
            ),
            "crop_size": artifact.geometry.crop_size,
            "centroid_downsample": artifact.geometry.centroid_downsample,
            "rmse_px": artifact.metrics.get("rmse_px"),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "inference.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
