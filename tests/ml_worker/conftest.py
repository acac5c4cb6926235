"""Fixtures for the pure ML tests: tiny synthetic frames and the shared data folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # plain `pytest` (not `python -m pytest`) from anywhere
    sys.path.insert(0, str(REPO))

from ml_worker.dataset import PoseDataset, PoseSample  # noqa: E402

NODES = ["head", "left", "right", "tail"]
SYMMETRIES = [(1, 2)]


def data_dir() -> Path:
    """``POSEFORGE_DATA_DIR`` or ``../shared/data`` next to the repository."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return Path(os.environ.get("POSEFORGE_DATA_DIR", default))


@pytest.fixture
def openfield_dir() -> Path:
    path = data_dir() / "openfield-Pranav-2018-10-30"
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set POSEFORGE_DATA_DIR)")
    return path


def synthetic_sample(rng: np.random.Generator, key: str, h: int = 64, w: int = 80) -> PoseSample:
    """A bright 'animal' on a dark frame: four coloured blobs at the keypoints."""
    cx, cy = rng.uniform(22, w - 22), rng.uniform(22, h - 22)
    angle = rng.uniform(0, 2 * np.pi)
    local = np.array([[10, 0], [3, -5], [3, 5], [-10, 0]], np.float32)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    kp = (local @ rot.T + [cx, cy]).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.full((h, w, 3), 20, np.float32)
    colours = [(255, 255, 255), (255, 60, 60), (60, 255, 60), (60, 60, 255)]
    body = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 8.0**2))
    image += 90 * body[..., None]
    for (x, y), colour in zip(kp, colours, strict=True):
        blob = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))
        image += blob[..., None] * np.array(colour)
    return PoseSample.from_points(np.clip(image, 0, 255).astype(np.uint8), kp, key)


@pytest.fixture
def tiny_dataset() -> PoseDataset:
    rng = np.random.default_rng(0)
    samples = [synthetic_sample(rng, f"f{i:03d}") for i in range(12)]
    return PoseDataset(samples, list(NODES), list(SYMMETRIES))
