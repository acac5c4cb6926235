import zipfile
from dataclasses import replace

import numpy as np
import onnxruntime as ort
import pytest
import torch

from ml_worker.artifacts import predict_frames
from ml_worker.config import preset
from ml_worker.dataset import make_split
from ml_worker.export import export_onnx, export_torchscript, write_download_zip
from ml_worker.train import train


@pytest.fixture
def trained(tiny_dataset, tmp_path):
    cfg = replace(preset("fast"), max_seconds=None, max_steps=12, batch_size=4, filters=8,
                  num_threads=2)
    split = make_split(tiny_dataset.keys, 0.25, seed=0)
    return train(cfg, tiny_dataset, split, tmp_path / "model").artifact


def test_onnx_and_torchscript_match_the_platform_predictions(trained, tiny_dataset, tmp_path):
    frames = np.stack([s.image for s in tiny_dataset.samples[:5]])
    points, scores = predict_frames(trained, frames)
    onnx_path = export_onnx(trained, tmp_path / "model.onnx")
    o_points, o_scores, _ = ort.InferenceSession(str(onnx_path)).run(None, {"frames": frames})
    assert np.abs(o_points - points).max() < 0.5
    assert np.abs(o_scores - scores).max() < 1e-2
    ts = torch.jit.load(str(export_torchscript(trained, tmp_path / "weights.ts")))
    with torch.no_grad():
        t_points, _, _ = ts(torch.from_numpy(frames))
    assert np.abs(t_points.numpy() - points).max() < 0.5


def test_download_zip_has_every_file(trained, tmp_path):
    path = write_download_zip(tmp_path / "model", tmp_path / "download.zip")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        readme = zf.read("README.md").decode()
    assert {"weights.ts", "model.onnx", "config.json", "metrics.json", "README.md"} <= names
    assert "onnxruntime" in readme and "av.open" in readme
