"""Export a model version: TorchScript, ONNX, and the download zip.

Both exports contain the *whole* inference of :class:`TopDownModel` (pooling,
centroid net and its peak finding, crops, instance net, sub-pixel peaks), so a
user needs no code from this project: feed ``(N, H, W, 3)`` uint8 RGB frames,
get ``points (N, I, K, 2)`` in frame pixels (NaN for empty animal slots),
``scores (N, I, K)`` and ``instance_scores (N, I)``; a model with identities
(:mod:`ml_worker.identity`) adds ``identity_scores (N, I, T)``. ONNX is traced for the
training frame size (``config.json`` ``preprocessing.frame_size``) with a
dynamic batch; frames of another size must be resized first. The download zip
holds ``weights.ts``, ``model.onnx``, ``config.json``, ``metrics.json``,
``skeleton.json`` and a README with an onnxruntime-only snippet for videos.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import torch
from torch import Tensor, nn

from ml_worker.artifacts import ModelArtifact
from ml_worker.pipeline import TopDownModel

OPSET = 17


OUTPUTS = ["points", "scores", "instance_scores"]
IDENTITY_OUTPUT = "identity_scores"


class _PointsAndScores(nn.Module):
    """TopDownModel without the anchors output (identity scores last, when it has them)."""

    def __init__(self, model: TopDownModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, frames: Tensor) -> tuple[Tensor, ...]:
        points, scores, instance_scores, _, *identity = self.model(frames)
        return (points, scores, instance_scores, *identity)


BOTTOM_UP_OUTPUTS = ["confmaps", "pafs"]


def _frame_hw(artifact: ModelArtifact) -> tuple[int, int]:
    if artifact.geometry is not None:
        return artifact.geometry.frame_height, artifact.geometry.frame_width
    h, w = artifact.extra.get("frame_size") or (512, 512)
    return int(h), int(w)


def _example(artifact: ModelArtifact, n: int = 2) -> Tensor:
    return torch.zeros(n, *_frame_hw(artifact), 3, dtype=torch.uint8)


def _exportable(artifact: ModelArtifact) -> tuple[nn.Module, list[str]]:
    """The traceable module and its output names. Top-down: the whole inference.
    Bottom-up: the network (confidence maps and part affinity fields); the peak
    grouping is numpy (:func:`ml_worker.bottomup.predict`) and is not in the graph."""
    module = artifact.build_module()
    if isinstance(module, TopDownModel):
        names = OUTPUTS + [IDENTITY_OUTPUT] if artifact.identity_names else OUTPUTS
        return _PointsAndScores(module).eval(), names
    return module.model.eval(), BOTTOM_UP_OUTPUTS


def export_torchscript(artifact: ModelArtifact, path: str | Path) -> Path:
    """Trace the full inference to TorchScript (``torch.jit.load`` to use).

    Args:
        artifact: the model.
        path: output file (written atomically).

    Returns:
        The path.
    """
    module, _ = _exportable(artifact)
    with torch.no_grad():
        traced = torch.jit.trace(module, (_example(artifact),), check_trace=False)
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    traced.save(str(tmp))
    os.replace(tmp, out)
    return out


def export_onnx(artifact: ModelArtifact, path: str | Path) -> Path:
    """Export the full inference to ONNX (input ``frames``; outputs ``points``,
    ``scores``, ``instance_scores`` and, with identities, ``identity_scores``;
    bottom-up: ``confmaps``, ``pafs``).

    Args:
        artifact: the model.
        path: output file (written atomically).

    Returns:
        The path.
    """
    module, names = _exportable(artifact)
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    with torch.no_grad():
        torch.onnx.export(
            module, (_example(artifact),), str(tmp), dynamo=False, opset_version=OPSET,
            input_names=["frames"], output_names=names,
            dynamic_axes={name: {0: "n"} for name in ("frames", *names)},
        )
    os.replace(tmp, out)
    return out


README = """# PoseForge model: {nodes}

Top-down pose model for up to {instances} animal(s) per frame (centroid U-Net
on the frame pooled by {down}, instance U-Net on a {crop}x{crop} crop around
each animal at scale {scale:.3g}). Input: RGB uint8 frames of {h}x{w} (height x
width), shape (N, H, W, 3). Outputs: `points` (N, I, K, 2) pixel x, y in the
frame (pixel centres at integers; NaN where a slot holds no animal), `scores`
(N, I, K) peak confidence (about 1 = confident) and `instance_scores` (N, I)
per animal (0 = empty slot), with I = {instances}. Node order: {nodes}.

Held-out metrics: see `metrics.json` (RMSE {rmse} px).

## Run on a video with onnxruntime only

```python
# pip install onnxruntime av numpy
import av, numpy as np, onnxruntime as ort

sess = ort.InferenceSession("model.onnx")
points, scores = [], []
with av.open("video.mp4") as container:
    batch = []
    for frame in container.decode(video=0):
        batch.append(frame.to_ndarray(format="rgb24"))  # (H, W, 3) uint8
        if len(batch) == 16:
            p, s = sess.run(["points", "scores"], {{"frames": np.stack(batch)}})
            points.append(p); scores.append(s); batch = []
    if batch:
        p, s = sess.run(["points", "scores"], {{"frames": np.stack(batch)}})
        points.append(p); scores.append(s)
points, scores = np.concatenate(points), np.concatenate(scores)  # (frames, I, K, 2), (frames, I, K)
np.save("points.npy", points)
```

Frames must be {h}x{w}; resize other videos to that size first and scale the
points back. `weights.ts` is the same model in TorchScript:
`torch.jit.load("weights.ts")(torch.from_numpy(frames))` returns the same three arrays.
"""


IDENTITY_README = """
## Identities

This model also tells the animals apart: a fourth output, `identity_scores`
(N, I, {t}), holds each animal's probability of being each of {names} (in that
order; 0 for empty slots). Give each frame's animals distinct identities with
`scipy.optimize.linear_sum_assignment(np.log(scores + 1e-6), maximize=True)`.
"""


BOTTOM_UP_README = """# PoseForge model: {nodes}

Bottom-up pose model: one U-Net finds every node of every animal (confidence
maps) and part affinity fields along the edges {edges} (node index pairs),
which say which nodes belong to the same animal. Input: RGB uint8 frames of
{h}x{w} (height x width), shape (N, H, W, 3). Outputs: `confmaps` (N, K, h, w)
in [0, 1] and `pafs` (N, 2E, h, w) (x, y per edge) at the network's output
stride. Grouping the peaks into animals is not part of the graph: PoseForge
does it with `ml_worker.bottomup.predict` (config.json `bottom_up` holds the
scale, stride and edge lengths it uses). Node order: {nodes}.

Held-out metrics: see `metrics.json` (RMSE on matched animals {rmse} px).
`weights.ts` is the same network in TorchScript.
"""


def write_download_zip(artifact_dir: str | Path, zip_path: str | Path) -> Path:
    """Write the model-version download zip.

    Args:
        artifact_dir: a :class:`ModelArtifact` directory.
        zip_path: output zip (written atomically).

    Returns:
        The zip path. Members: weights.ts, model.onnx, config.json,
        metrics.json, skeleton.json, README.md.
    """
    root = Path(artifact_dir)
    artifact = ModelArtifact.from_dir(root)
    out = Path(zip_path)
    work = out.with_name(out.name + ".parts")
    work.mkdir(parents=True, exist_ok=True)
    export_torchscript(artifact, work / "weights.ts")
    export_onnx(artifact, work / "model.onnx")
    g = artifact.geometry
    rmse = artifact.metrics.get("rmse_px")
    rmse_text = "n/a" if rmse is None else f"{rmse:.2f}"
    if g is None:
        h, w = _frame_hw(artifact)
        readme = BOTTOM_UP_README.format(nodes=", ".join(artifact.node_names), h=h, w=w,
                                         edges=[list(e) for e in artifact.bottom_up["edges"]]
                                         if artifact.bottom_up else [], rmse=rmse_text)
    else:
        readme = README.format(nodes=", ".join(artifact.node_names),
                               down=g.centroid_downsample, instances=g.max_instances,
                               crop=g.crop_size, scale=g.input_scale, h=g.frame_height,
                               w=g.frame_width, rmse=rmse_text)
        if artifact.identity_names:
            readme += IDENTITY_README.format(t=len(artifact.identity_names),
                                             names=", ".join(artifact.identity_names))
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(work / "weights.ts", "weights.ts")
        zf.write(work / "model.onnx", "model.onnx")
        for name in ("config.json", "metrics.json", "skeleton.json"):
            if (root / name).is_file():
                zf.write(root / name, name)
        if not (root / "metrics.json").is_file():
            zf.writestr("metrics.json", json.dumps(artifact.metrics))
        zf.writestr("README.md", readme)
    os.replace(tmp, out)
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    return out
