"""A synthetic "mouse": an articulated figure walking on a textured floor, with exact keypoints.

The demo project (and tests that need a video the repo owns) use this instead
of shipping binary data. The figure's pose comes from a smooth random walk,
so frames differ in position, heading and body bend, and every keypoint is
known to sub-pixel precision.

Nodes, in order: snout, left_ear, right_ear, neck, tail_base, tail_tip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

# The figure and floor are shared with the multi-animal generator (pure numpy/PIL, no torch).
from ml_worker.synthetic_multi import EDGES, NODE_NAMES, SYMMETRIES, animal_pose, floor, render

__all__ = ["COLORS", "EDGES", "NODE_NAMES", "SYMMETRIES", "SyntheticVideo", "trajectory",
           "write_synthetic_video"]
COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4"]


@dataclass(frozen=True)
class SyntheticVideo:
    path: Path
    keypoints: np.ndarray  # (n_frames, n_nodes, 2) float, image pixels
    fps: int
    width: int
    height: int


def trajectory(n_frames: int, width: int, height: int, seed: int, scale: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    margin = 45 * scale
    x, y, heading, bend = width / 2, height / 2, rng.uniform(0, 2 * math.pi), 0.0
    turn = 0.0
    poses = []
    for _ in range(n_frames):
        turn = 0.9 * turn + rng.normal(0, 0.04)
        heading += turn
        bend = 0.85 * bend + 0.15 * turn * 12 + rng.normal(0, 0.03)
        speed = 2.2 * scale
        x += speed * math.cos(heading)
        y += speed * math.sin(heading)
        if not margin < x < width - margin or not margin < y < height - margin:
            heading = math.atan2(height / 2 - y, width / 2 - x)  # turn back towards the centre
            x = min(max(x, margin), width - margin)
            y = min(max(y, margin), height - margin)
        poses.append(animal_pose(x, y, heading, float(np.clip(bend, -0.8, 0.8)), scale))
    return np.stack(poses)


def write_synthetic_video(
    path: Path,
    *,
    n_frames: int = 300,
    width: int = 480,
    height: int = 360,
    fps: int = 30,
    seed: int = 0,
) -> SyntheticVideo:
    """Render the figure to an H.264 mp4 at ``path`` and return its exact keypoints."""
    scale = width / 320
    rng = np.random.default_rng(seed + 1)
    background = floor(width, height, rng)
    keypoints = trajectory(n_frames, width, height, seed, scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "g": "30", "preset": "veryfast"}
        for pts in keypoints:
            frame = av.VideoFrame.from_image(render(background, pts[None], scale))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return SyntheticVideo(path, keypoints, fps, width, height)
