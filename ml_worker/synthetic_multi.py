"""Synthetic "mice" for tracking: identical articulated figures that meet, touch and cross.

The figure and floor are the demo project's (``backend/demo/synthetic.py``
draws with :func:`floor`, :func:`animal_pose` and :func:`draw_animal` from
here), so a model trained on one looks like the other. Several animals share
one arena and look exactly alike, so only motion tells them apart: that is
what a tracker has to get right.

Behaviour, per animal, from one seeded generator:

* a smooth random walk of the heading (the demo's) at a speed that changes
  now and then, with pauses, so moving animals reach resting ones and touch;
* every ``MODE_FRAMES`` or so frames an animal either explores or walks
  towards another animal until it reaches it, then walks on (over or past
  it), so encounters are frequent, bodies touch and cross, and do not stay merged;
* near a wall an animal turns back towards the centre, at most ``MAX_TURN``
  radians a frame (bodies never flip from one frame to the next).

Animals are drawn in a fixed order, the last on top; a node of an animal is
*occluded* (visibility 1) when a body drawn after it covers it, else visible (2).
Identity ``a`` is column ``a`` in every frame. Pure numpy + PIL + PyAV.

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
BODY_COLOUR = (40, 36, 36)
MODE_FRAMES = 120
MAX_TURN = 0.25
REACHED = 30  # body units: a target this close counts as reached
VISIBLE, OCCLUDED = 2, 1


@dataclass(frozen=True)
class MultiAnimalVideo:
    """A rendered video and its exact ground truth.

    Attributes:
        path: the mp4.
        points: ``(F, A, K, 2)`` float64 pixel keypoints, animal ``a`` in column ``a``.
        visibility: ``(F, A, K)`` int8, 2 visible / 1 occluded by another animal.
        fps, width, height: the video's.
    """

    path: Path
    points: np.ndarray
    visibility: np.ndarray
    fps: int
    width: int
    height: int

    @property
    def identities(self) -> np.ndarray:
        """``(F, A)`` int32 identity of each column (its index)."""
        f, a = self.points.shape[:2]
        return np.broadcast_to(np.arange(a, dtype=np.int32), (f, a)).copy()


def floor(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """A textured floor: smooth grey noise, slightly warm."""
    noise = rng.normal(150, 18, size=(height // 8 + 1, width // 8 + 1)).clip(0, 255)
    base = Image.fromarray(noise.astype(np.uint8)).resize((width, height), Image.BICUBIC)
    return Image.merge(
        "RGB", [base, base.point(lambda v: v * 0.95), base.point(lambda v: v * 0.85)]
    )


def animal_pose(cx: float, cy: float, heading: float, bend: float, scale: float) -> np.ndarray:
    """Keypoints ``(6, 2)`` of a body centred at ``(cx, cy)``."""

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


def draw_animal(draw: ImageDraw.ImageDraw, pts: np.ndarray, scale: float) -> None:
    """Draw one figure with keypoints ``pts`` (``(6, 2)``) onto ``draw``."""
    snout, left_ear, right_ear, neck, tail_base, tail_tip = [tuple(p) for p in pts]
    body = 9 * scale
    draw.line([tail_base, tail_tip], fill=(70, 60, 60), width=max(2, int(2 * scale)))
    for a, b in [(neck, tail_base), (snout, neck)]:
        draw.line([a, b], fill=BODY_COLOUR, width=int(2 * body))
    for centre, r in [(tail_base, body), (neck, body * 0.95), (snout, body * 0.45)]:
        draw.ellipse(
            [centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r], fill=BODY_COLOUR
        )
    for ear in (left_ear, right_ear):
        r = 3.5 * scale
        draw.ellipse([ear[0] - r, ear[1] - r, ear[0] + r, ear[1] + r], fill=(210, 150, 150))
    r = 2 * scale
    draw.ellipse([snout[0] - r, snout[1] - r, snout[0] + r, snout[1] + r], fill=(235, 170, 170))


def render(background: Image.Image, animals: np.ndarray, scale: float) -> Image.Image:
    """One frame: ``animals`` ``(A, 6, 2)`` drawn in order on a copy of ``background``."""
    image = background.copy()
    draw = ImageDraw.Draw(image)
    for pts in animals:
        draw_animal(draw, pts, scale)
    return image.filter(ImageFilter.GaussianBlur(0.6))


def trajectories(n_frames: int, n_animals: int, width: int, height: int, seed: int,
                 scale: float) -> np.ndarray:
    """``(F, A, 6, 2)`` keypoints of interacting animals (see the module docstring)."""
    rng = np.random.default_rng(seed)
    margin = 45 * scale
    pos = np.column_stack([rng.uniform(margin, width - margin, n_animals),
                           rng.uniform(margin, height - margin, n_animals)])
    heading = rng.uniform(0, 2 * math.pi, n_animals)
    turn, bend = np.zeros(n_animals), np.zeros(n_animals)
    speed = np.full(n_animals, 2.2 * scale)
    target = np.full(n_animals, -1)  # animal walked towards, -1: exploring
    out = np.zeros((n_frames, n_animals, 6, 2))
    for f in range(n_frames):
        for a in range(n_animals):
            if rng.random() < 1 / MODE_FRAMES:
                others = [b for b in range(n_animals) if b != a]
                target[a] = rng.choice(others) if rng.random() < 0.6 else -1
                speed[a] = scale * rng.choice([0.3, 1.6, 2.2, 3.0], p=[0.2, 0.3, 0.3, 0.2])
            turn[a] = 0.9 * turn[a] + rng.normal(0, 0.04)
            if target[a] >= 0 and np.linalg.norm(pos[target[a]] - pos[a]) < REACHED * scale:
                target[a] = -1
            x, y = pos[a]
            near_wall = not (2 * margin < x < width - 2 * margin
                             and 2 * margin < y < height - 2 * margin)
            goal = ((width / 2, height / 2) if near_wall else
                    tuple(pos[target[a]]) if target[a] >= 0 else None)
            if goal is not None:
                wanted = math.atan2(goal[1] - y, goal[0] - x)
                turn[a] += (0.04 if near_wall else 0.02) * math.remainder(
                    wanted - heading[a], 2 * math.pi)
            turn[a] = float(np.clip(turn[a], -MAX_TURN, MAX_TURN))
            heading[a] += turn[a]
            bend[a] = 0.85 * bend[a] + 0.15 * turn[a] * 12 + rng.normal(0, 0.03)
            pos[a] += speed[a] * np.array([math.cos(heading[a]), math.sin(heading[a])])
            pos[a] = np.clip(pos[a], [margin, margin], [width - margin, height - margin])
            out[f, a] = animal_pose(pos[a, 0], pos[a, 1], heading[a],
                                    float(np.clip(bend[a], -0.8, 0.8)), scale)
    return out


def occlusion(points: np.ndarray, scale: float) -> np.ndarray:
    """``(F, A, K)`` visibility: 1 where a body drawn later (higher column) covers a node."""
    f, n_animals, k = points.shape[:3]
    vis = np.full((f, n_animals, k), VISIBLE, np.int8)
    body = 9 * scale
    for top in range(1, n_animals):
        snout, neck, tail_base = (points[:, top, i] for i in (0, 3, 4))
        for below in range(top):
            p = points[:, below]  # (F, K, 2)
            inside = np.minimum(_segment_distance(p, snout, neck),
                                _segment_distance(p, neck, tail_base)) <= body
            vis[:, below][inside] = OCCLUDED
    return vis


def write_multi_video(path: Path, *, n_frames: int = 2000, n_animals: int = 3,
                      width: int = 400, height: int = 300, fps: int = 30,
                      seed: int = 0) -> MultiAnimalVideo:
    """Render interacting animals to an H.264 mp4 at ``path``; return the ground truth."""
    scale = width / 320
    background = floor(width, height, np.random.default_rng(seed + 1))
    points = trajectories(n_frames, n_animals, width, height, seed, scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "g": "30", "preset": "veryfast"}
        for animals in points:
            frame = av.VideoFrame.from_image(render(background, animals, scale))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return MultiAnimalVideo(path, points, occlusion(points, scale), fps, width, height)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of points ``p`` ``(F, K, 2)`` to segments ``a``-``b`` ``(F, 2)``."""
    ab = (b - a)[:, None]
    ap = p - a[:, None]
    t = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
    return np.linalg.norm(ap - t[..., None] * ab, axis=-1)
