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
from PIL import Image, ImageDraw, ImageFilter

NODE_NAMES = ["snout", "left_ear", "right_ear", "neck", "tail_base", "tail_tip"]
EDGES = [("snout", "neck"), ("left_ear", "neck"), ("right_ear", "neck"),
         ("neck", "tail_base"), ("tail_base", "tail_tip")]  # fmt: skip
SYMMETRIES = [("left_ear", "right_ear")]
COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4"]


@dataclass(frozen=True)
class SyntheticVideo:
    path: Path
    keypoints: np.ndarray  # (n_frames, n_nodes, 2) float, image pixels
    fps: int
    width: int
    height: int


def _floor(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    noise = rng.normal(150, 18, size=(height // 8 + 1, width // 8 + 1)).clip(0, 255)
    floor = Image.fromarray(noise.astype(np.uint8)).resize((width, height), Image.BICUBIC)
    return Image.merge(
        "RGB", [floor, floor.point(lambda v: v * 0.95), floor.point(lambda v: v * 0.85)]
    )


def _pose(cx: float, cy: float, heading: float, bend: float, scale: float) -> np.ndarray:
    """Keypoints (6, 2) for a body centred at (cx, cy)."""

    def along(dist: float, side: float, angle: float) -> tuple[float, float]:
        return (
            cx + scale * (dist * math.cos(angle) - side * math.sin(angle)),
            cy + scale * (dist * math.sin(angle) + side * math.cos(angle)),
        )

    neck = along(12, 0, heading)
    snout = along(26, 0, heading + bend * 0.3)
    left_ear = along(16, -7, heading)
    right_ear = along(16, 7, heading)
    tail_base = along(-16, 0, heading - bend * 0.4)
    tail_tip = along(-40, 0, heading - bend * 1.4)
    return np.array([snout, left_ear, right_ear, neck, tail_base, tail_tip], dtype=np.float64)


def _draw(floor: Image.Image, pts: np.ndarray, scale: float) -> Image.Image:
    image = floor.copy()
    draw = ImageDraw.Draw(image)
    snout, left_ear, right_ear, neck, tail_base, tail_tip = [tuple(p) for p in pts]
    body = 9 * scale
    draw.line([tail_base, tail_tip], fill=(70, 60, 60), width=max(2, int(2 * scale)))
    for a, b in [(neck, tail_base), (snout, neck)]:
        draw.line([a, b], fill=(40, 36, 36), width=int(2 * body))
    for centre, r in [(tail_base, body), (neck, body * 0.95), (snout, body * 0.45)]:
        draw.ellipse(
            [centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r], fill=(40, 36, 36)
        )
    for ear in (left_ear, right_ear):
        r = 3.5 * scale
        draw.ellipse([ear[0] - r, ear[1] - r, ear[0] + r, ear[1] + r], fill=(210, 150, 150))
    r = 2 * scale
    draw.ellipse([snout[0] - r, snout[1] - r, snout[0] + r, snout[1] + r], fill=(235, 170, 170))
    return image.filter(ImageFilter.GaussianBlur(0.6))


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
        poses.append(_pose(x, y, heading, float(np.clip(bend, -0.8, 0.8)), scale))
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
    floor = _floor(width, height, rng)
    keypoints = trajectory(n_frames, width, height, seed, scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "g": "30", "preset": "veryfast"}
        for pts in keypoints:
            frame = av.VideoFrame.from_image(_draw(floor, pts, scale))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return SyntheticVideo(path, keypoints, fps, width, height)
