"""Tracker settings: one frozen dataclass, parsed strictly from user input.

:class:`TrackerConfig` is data only, like :class:`ml_worker.config.TrainConfig`:
an inference run stores ``cfg.to_dict()`` and the worker rebuilds it with
:meth:`TrackerConfig.from_dict`, which names the bad field on bad input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

Similarity = Literal["oks", "centroid", "iou"]
Motion = Literal["none", "constant_velocity", "kalman"]


@dataclass(frozen=True)
class TrackerConfig:
    """How instances are linked across frames.

    Attributes:
        window: frames a track that was not seen stays a candidate (1: only the
            previous frame).
        similarity: ``"oks"`` (keypoint similarity of whole poses), ``"centroid"``
            (``1 / (1 + distance / animal size)``) or ``"iou"`` (keypoint boxes).
        motion: where a candidate is expected in the current frame: ``"none"``
            (where it was last seen), ``"constant_velocity"`` (smoothed velocity)
            or ``"kalman"`` (constant-velocity Kalman filter on its centre).
        max_tracks: how many animals the project has; None: unknown. When set,
            only the best ``max_tracks`` instances of a frame are tracked and
            :func:`ml_worker.tracking.stitch` joins the tracklets into at most
            that many identities.
        min_instance_score: instances scoring below this are left untracked (-1).
        min_points: instances with fewer found nodes are left untracked.
        min_similarity: a track and an instance less similar than this never match.
        oks_sigma: the uniform per-node sigma of ``"oks"`` (DeepLabCut's 0.1;
            COCO-style, scaled by the animal's box area).
        velocity_smoothing: weight of the newest velocity in the running mean
            of ``"constant_velocity"`` (1: last step only).
        max_extrapolation: frames of motion extrapolated at most (a lost
            animal is not assumed to walk straight forever).
        kalman_process_noise: acceleration noise of ``"kalman"`` (px/frame²).
        kalman_measurement_noise: centre noise of ``"kalman"`` (px).
        ambiguity_ratio: a track that found no instance and is at least this
            share as similar to another track's instance as that track ends
            both (see :mod:`ml_worker.tracking.online`); None: never.
        stitch: join tracklets into ``max_tracks`` identities after the online pass.
        min_tracklet_length: shorter tracklets are not linked by the stitching
            pass, only slotted into a gap they fit (see :mod:`ml_worker.tracking.stitch`).
        identity: when the predictions carry a model's identity scores, the
            tracks are its identities (:mod:`ml_worker.tracking.identity`) and
            the stitching pass is not needed; False: motion alone.
        identity_window: frames on each side whose identity evidence is
            averaged along a tracklet (0: every frame decides alone).
    """

    window: int = 5
    similarity: Similarity = "oks"
    motion: Motion = "constant_velocity"
    max_tracks: int | None = None
    min_instance_score: float = 0.0
    min_points: int = 1
    min_similarity: float = 0.05
    oks_sigma: float = 0.1
    velocity_smoothing: float = 0.5
    max_extrapolation: int = 10
    kalman_process_noise: float = 0.5
    kalman_measurement_noise: float = 2.0
    ambiguity_ratio: float | None = 0.7
    stitch: bool = True
    min_tracklet_length: int = 3
    identity: bool = True
    identity_window: int = 5

    def __post_init__(self) -> None:
        _check(self.window >= 1, "window", "must be at least 1")
        _check(self.similarity in get_args(Similarity), "similarity",
               f"must be one of {', '.join(get_args(Similarity))}")
        _check(self.motion in get_args(Motion), "motion",
               f"must be one of {', '.join(get_args(Motion))}")
        _check(self.max_tracks is None or self.max_tracks >= 1, "max_tracks",
               "must be at least 1 (or null: unknown)")
        _check(self.min_points >= 1, "min_points", "must be at least 1")
        _check(0.0 <= self.min_similarity < 1.0, "min_similarity", "must be in [0, 1)")
        _check(self.oks_sigma > 0, "oks_sigma", "must be positive")
        _check(0.0 < self.velocity_smoothing <= 1.0, "velocity_smoothing", "must be in (0, 1]")
        _check(self.ambiguity_ratio is None or 0.0 < self.ambiguity_ratio <= 1.0,
               "ambiguity_ratio", "must be in (0, 1] (or null: never)")
        _check(self.min_tracklet_length >= 1, "min_tracklet_length", "must be at least 1")
        _check(self.identity_window >= 0, "identity_window", "must be at least 0")
        _check(self.max_extrapolation >= 0, "max_extrapolation", "must be at least 0")
        _check(self.kalman_process_noise > 0 and self.kalman_measurement_noise > 0,
               "kalman_process_noise", "Kalman noises must be positive")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackerConfig:
        """Defaults plus the given fields; unknown fields and bad values raise ValueError."""
        if not isinstance(data, dict):
            raise ValueError("tracker config: must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"tracker config: unknown setting(s) {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:  # e.g. a string where a number belongs
            raise ValueError(f"tracker config: {exc}") from exc


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ValueError(f"tracker config: {name} {message}")
