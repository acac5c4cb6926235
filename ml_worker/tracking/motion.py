"""Where a track's animal is expected next: the motion models of the online tracker.

A :class:`TrackState` keeps the track's last pose with gaps filled in (a node
not found in the newest detection keeps its older position, moved with the
animal; a node never found stays NaN) and the velocity of a reference point. Movement between two detections is the
mean displacement of the nodes found in both, so a node dropping out does not
read as a jump. The models differ only in how they estimate the velocity:

* ``none``: no motion, the animal is expected where it was last seen;
* ``constant_velocity``: exponentially smoothed per-frame displacement;
* ``kalman``: a constant-velocity Kalman filter on the centre (x and y
  independent and alike, so one 2x2 covariance serves both axes).

Extrapolation stops after ``max_extrapolation`` frames.
"""

from __future__ import annotations

import numpy as np

from ml_worker.tracking.config import TrackerConfig


class TrackState:
    """One track of the online tracker (mutable; updated once per matched frame)."""

    __slots__ = ("pose", "centre", "filtered", "velocity", "last_frame", "cov", "hits")

    def __init__(self, pose: np.ndarray, frame: int) -> None:
        self.pose = pose.astype(np.float64)
        self.centre = np.nanmean(self.pose, axis=0)  # moves with the animal, never re-centred
        self.filtered = self.centre  # Kalman: the filter's estimate of ``centre``
        self.velocity = np.zeros(2)
        self.last_frame = frame
        self.cov = (4.0, 0.0, 4.0)  # Kalman: position var, covariance, velocity var (per axis)
        self.hits = 1

    def expected(self, frame: int, cfg: TrackerConfig) -> np.ndarray:
        """``(K, 2)`` pose expected at ``frame``."""
        if cfg.motion == "none":
            return self.pose
        dt = min(frame - self.last_frame, cfg.max_extrapolation)
        return self.pose + (self.filtered - self.centre + self.velocity * dt)

    def update(self, pose: np.ndarray, frame: int, cfg: TrackerConfig) -> None:
        """Take the instance matched at ``frame`` (``(K, 2)``, NaN for nodes not found)."""
        dt = max(frame - self.last_frame, 1)
        found = np.isfinite(pose).all(-1)
        both = found & np.isfinite(self.pose).all(-1)
        n_both = int(both.sum())
        if n_both:
            shift = (pose[both] - self.pose[both]).sum(axis=0) / n_both
        else:
            shift = np.nanmean(pose, axis=0) - np.nanmean(self.pose, axis=0)
        filled = pose if found.all() else np.where(found[:, None], pose, self.pose + shift)
        if cfg.motion == "constant_velocity":
            a = cfg.velocity_smoothing
            step = shift / dt
            self.velocity = step if self.hits == 1 else a * step + (1 - a) * self.velocity
        elif cfg.motion == "kalman":
            self._kalman(self.centre + shift, dt, cfg)
        self.pose, self.centre = filled, self.centre + shift
        if cfg.motion != "kalman":
            self.filtered = self.centre
        self.last_frame = frame
        self.hits += 1

    def _kalman(self, measured: np.ndarray, dt: int, cfg: TrackerConfig) -> None:
        # 2x2 covariance [[p00, p01], [p01, p11]] in plain floats: numpy is slow on tiny arrays.
        p00, p01, p11 = self.cov
        q, r2 = cfg.kalman_process_noise**2, cfg.kalman_measurement_noise**2
        p00 += 2 * dt * p01 + dt * dt * p11 + q * dt**4 / 4
        p01 += dt * p11 + q * dt**3 / 2
        p11 += q * dt * dt
        k0, k1 = p00 / (p00 + r2), p01 / (p00 + r2)
        predicted = self.filtered + self.velocity * dt
        innovation = measured - predicted
        self.filtered = predicted + k0 * innovation
        self.velocity = self.velocity + k1 * innovation
        self.cov = (p00 - k0 * p00, p01 - k0 * p01, p11 - k1 * p01)
