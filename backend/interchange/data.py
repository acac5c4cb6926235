"""ProjectData: the neutral, in-memory form of a labeled pose project.

Format modules (``formats/``) turn files into ProjectData and back; the
services turn ProjectData into database rows and back. Nothing here does I/O
except ``ImageRef.load`` (which reads one image when asked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml_worker.poses import ABSENT, OCCLUDED, VISIBLE, FramePoses

HUMAN = "human"
MODEL = "model"


class FormatError(Exception):
    """The input is not a valid project of the format; the message says why, for the user."""


@dataclass
class Skeleton:
    nodes: list[str]
    edges: list[tuple[str, str]] = field(default_factory=list)
    symmetries: list[tuple[str, str]] = field(default_factory=list)

    def index(self, name: str) -> int:
        try:
            return self.nodes.index(name)
        except ValueError:
            raise FormatError(f"Body part {name!r} is not in the skeleton.") from None


@dataclass
class ImageRef:
    """One image of an image sequence (a DLC/COCO labeled image, a SLEAP embedded frame).

    ``name`` is the image's path as the source project names it (e.g.
    ``labeled-data/m4s1/img0000.png``); exporters write it back under that name.
    """

    name: str
    width: int
    height: int
    file: Path | None = None
    loader: Callable[[], np.ndarray] | None = None
    original_frame_index: int | None = None  # frame number in the source video, if known
    grayscale: bool = False

    def load(self) -> np.ndarray:
        """(H, W, 3) RGB or (H, W) gray uint8."""
        if self.loader is not None:
            return self.loader()
        if self.file is None:
            raise FormatError(f"Image {self.name!r} has no data.")
        from PIL import Image

        with Image.open(self.file) as image:
            image.load()
            if image.mode in ("L", "I;16", "I"):
                return np.asarray(image.convert("L"))
            return np.asarray(image.convert("RGB"))


@dataclass
class VideoData:
    """A video file (``path``) or an image sequence (``images``: frame i is images[i])."""

    name: str
    path: Path | None = None
    images: list[ImageRef] | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    frame_count: int | None = None
    reader: Callable[[int], np.ndarray] | None = None  # frame index -> RGB, for exporters

    @property
    def is_image_sequence(self) -> bool:
        return self.images is not None

    def image(self, frame_index: int) -> np.ndarray:
        if self.images is not None:
            return self.images[frame_index].load()
        if self.reader is None:
            raise FormatError(f"Frames of video {self.name!r} cannot be read.")
        return self.reader(frame_index)

    def image_name(self, frame_index: int) -> str | None:
        if self.images is not None:
            return self.images[frame_index].name
        return None

    def image_size(self, frame_index: int) -> tuple[int, int] | None:
        """(width, height) of one frame."""
        if self.images is not None:
            ref = self.images[frame_index]
            return ref.width, ref.height
        if self.width and self.height:
            return self.width, self.height
        return None


@dataclass
class InstanceData:
    """points: (n_nodes, 2) float, NaN where the node is not labeled.

    visibility: (n_nodes,) int, 2 visible / 1 occluded / 0 not in frame; ignored where
    the point is NaN.

    scores: (n_nodes,) float per-point model scores (NaN where unknown), or None when
    the instance has none (human labels). ``score`` is the instance-level model score.
    """

    points: np.ndarray
    visibility: np.ndarray | None = None
    track: str | None = None
    source: str = HUMAN
    score: float | None = None
    scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=float).reshape(-1, 2)
        if self.visibility is None:
            self.visibility = np.where(np.isnan(self.points).any(axis=1), 0, 2)
        self.visibility = np.asarray(self.visibility, dtype=int).reshape(-1)
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=float).reshape(-1)
            if self.scores.shape != (len(self.points),):
                raise FormatError("An instance has a different number of scores and points.")

    @property
    def labeled(self) -> np.ndarray:
        """Which nodes carry a point."""
        return ~np.isnan(self.points).any(axis=1)

    def is_empty(self) -> bool:
        return not self.labeled.any()

    def model_score(self, default: float = 0.0) -> float:
        """The instance score, if known; else the mean of the labeled points' scores.

        PoseForge stores no instance-level score, so after a trip through the database
        a prediction's score is the mean of its point scores.
        """
        if self.score is not None:
            return float(self.score)
        if self.scores is not None:
            known = self.scores[self.labeled]
            known = known[np.isfinite(known)]
            if known.size:
                return float(known.mean())
        return default


def frame_poses(instances: Sequence[InstanceData], num_nodes: int) -> FramePoses:
    """Instances -> the pose codec's arrays (one row each, in order; float64 kept).

    A point is absent where it is NaN or its visibility is 0, occluded where it is
    1, visible otherwise; an instance without model scores gets NaN scores.
    """
    if not instances:
        return FramePoses.empty(num_nodes)
    points = np.stack([i.points for i in instances]).astype(float)
    given = np.stack([i.visibility for i in instances])
    vis = np.select([np.isnan(points).any(-1) | (given == ABSENT), given == OCCLUDED],
                    [ABSENT, OCCLUDED], VISIBLE)  # fmt: skip
    scores = np.stack([np.full(num_nodes, np.nan) if i.scores is None else i.scores
                       for i in instances])  # fmt: skip
    score = [np.nan if i.score is None else i.score for i in instances]
    return FramePoses(points, vis, [i.track for i in instances], scores, np.array(score))


def instances_from_poses(poses: FramePoses, sources: Sequence[str]) -> list[InstanceData]:
    """The codec's arrays -> instances; ``sources[i]`` says who made row i.

    Model rows keep their scores (when any is known); human rows carry none.
    """
    assert poses.scores is not None and poses.instance_scores is not None
    out = []
    for i, source in enumerate(sources):
        scores = poses.scores[i].astype(float)
        model = source == MODEL and bool(np.isfinite(scores).any())
        score = float(poses.instance_scores[i])
        out.append(InstanceData(
            points=poses.points[i].astype(float), visibility=poses.visibility[i].astype(int),
            track=poses.tracks[i], source=source, scores=scores if model else None,
            score=score if source == MODEL and np.isfinite(score) else None,
        ))  # fmt: skip
    return out


@dataclass
class FrameData:
    video: int  # index into ProjectData.videos
    frame_index: int
    instances: list[InstanceData] = field(default_factory=list)
    status: str | None = None


@dataclass
class Suggestion:
    video: int
    frame_index: int
    group: int = 0


@dataclass
class ProjectData:
    name: str
    skeleton: Skeleton
    videos: list[VideoData] = field(default_factory=list)
    frames: list[FrameData] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    # DeepLabCut's project identity (config.yaml scorer / Task / date like "Oct30");
    # empty when the source format has none. Writers fall back to their own defaults.
    scorer: str = ""
    task: str = ""
    date: str = ""
    format: str = ""  # the format it was read from ("dlc", "slp", ...); set by formats.load

    def all_tracks(self) -> list[str]:
        """Declared tracks plus any used by an instance, in first-seen order."""
        seen = dict.fromkeys(self.tracks)
        for frame in self.frames:
            for inst in frame.instances:
                if inst.track is not None:
                    seen.setdefault(inst.track)
        return list(seen)

    def validate(self) -> None:
        """Check shapes and names once at the boundary; later code trusts them."""
        nodes = self.skeleton.nodes
        if not nodes:
            raise FormatError("The skeleton has no body parts.")
        if len(set(nodes)) != len(nodes):
            raise FormatError("Body part names must be unique.")
        for a, b in [*self.skeleton.edges, *self.skeleton.symmetries]:
            self.skeleton.index(a)
            self.skeleton.index(b)
        for frame in self.frames:
            if not 0 <= frame.video < len(self.videos):
                raise FormatError(f"A labeled frame refers to missing video #{frame.video}.")
            video = self.videos[frame.video]
            if video.images is not None and not 0 <= frame.frame_index < len(video.images):
                raise FormatError(
                    f"Frame {frame.frame_index} is outside image sequence {video.name!r}."
                )
            if frame.frame_index < 0:
                raise FormatError("Frame indices cannot be negative.")
            for inst in frame.instances:
                if inst.points.shape != (len(nodes), 2):
                    raise FormatError(
                        f"An instance in {video.name!r} frame {frame.frame_index} has "
                        f"{inst.points.shape[0]} points for {len(nodes)} body parts."
                    )
                finite = np.isfinite(inst.points) | np.isnan(inst.points)
                if not finite.all():
                    raise FormatError(f"Non-finite coordinate in {video.name!r}.")
