"""Tracker settings from users: bounded, strict, then stored as the full config.

A run form's "Tracking" fieldset and the re-track action send a JSON object of
:class:`ml_worker.tracking.TrackerConfig` fields. :func:`tracking_validate` refuses
unknown keys, wrong types and values outside :data:`TRACKING_LIMITS` (a 400 that
names the field and its range), the same table pattern as ``ml_worker.config.LIMITS``
for training: the dataclass checks what is *meaningful*, the bounds here what a
shared server is willing to run (a 10⁶-frame window would make every frame slow).
What is stored is ``TrackerConfig.to_dict()``: the run keeps every setting it was
tracked with, defaults included, so a later change of defaults does not rewrite history.
"""

from __future__ import annotations

import math
from typing import Any, get_args

from backend.common.exceptions import ApplicationError

# Numeric settings: (low, high), inclusive.
TRACKING_LIMITS: dict[str, tuple[float, float]] = {
    "window": (1, 300),
    "max_tracks": (1, 64),
    "min_instance_score": (0, 1),
    "min_points": (1, 256),
    "min_similarity": (0, 0.99),
    "oks_sigma": (0.001, 10),
    "velocity_smoothing": (0.01, 1),
    "max_extrapolation": (0, 1000),
    "kalman_process_noise": (0.001, 1000),
    "kalman_measurement_noise": (0.001, 1000),
    "ambiguity_ratio": (0.01, 1),
    "min_tracklet_length": (1, 10_000),
    "identity_window": (0, 300),
}
INTEGER_SETTINGS = frozenset(
    {"window", "max_tracks", "min_points", "max_extrapolation", "min_tracklet_length",
     "identity_window"}
)
# None means "unknown animal count" / "never end ambiguous tracks".
NULLABLE_SETTINGS = frozenset({"max_tracks", "ambiguity_ratio"})
BOOLEAN_SETTINGS = frozenset({"stitch", "identity"})


def _refuse(name: str, why: str) -> None:
    raise ApplicationError(f"tracking.{name} {why}.", {"field": f"tracking.{name}"})


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _check_number(name: str, value: Any) -> None:
    low, high = TRACKING_LIMITS[name]
    whole = name in INTEGER_SETTINGS
    kind = "a whole number" if whole else "a number"
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (whole and not isinstance(value, int)) or not math.isfinite(value):
        _refuse(name, f"must be {kind} from {_fmt(low)} to {_fmt(high)}")
    if not low <= value <= high:
        _refuse(name, f"must be from {_fmt(low)} to {_fmt(high)}, got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _refuse(name, f"must be one of {', '.join(choices)}")


def _check_field(name: str, value: Any) -> None:
    from ml_worker.tracking.config import Motion, Similarity

    choices = {"similarity": Similarity, "motion": Motion}
    if value is None and name in NULLABLE_SETTINGS:
        return
    if name in TRACKING_LIMITS:
        _check_number(name, value)
    elif name in choices:
        _check_choice(name, value, get_args(choices[name]))
    elif name in BOOLEAN_SETTINGS and not isinstance(value, bool):
        _refuse(name, "must be true or false")


def tracking_validate(data: Any, *, max_tracks: int | None) -> dict[str, Any] | None:
    """The full tracker config for ``data`` (defaults filled in), None for "off".

    ``None`` / ``false`` turn tracking off; ``{}`` is on with the defaults.
    ``max_tracks`` (the project's animal count; None: unknown) applies unless
    ``data`` names its own. Raises ApplicationError (400) naming the first bad field.
    """
    from ml_worker.tracking.config import TrackerConfig

    if data is None or data is False:
        return None
    if not isinstance(data, dict):
        raise ApplicationError("tracking must be an object of tracker settings, or null.")
    known = set(TrackerConfig.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ApplicationError(
            f"tracking: unknown setting {unknown[0]!r}; use {', '.join(sorted(known))}.",
            {"field": f"tracking.{unknown[0]}"},
        )
    for name, value in data.items():
        _check_field(name, value)
    try:
        return TrackerConfig.from_dict({"max_tracks": max_tracks, **data}).to_dict()
    except ValueError as exc:  # a rule between fields, e.g. from the dataclass itself
        raise ApplicationError(str(exc)) from exc

