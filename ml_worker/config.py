"""Training configuration: one frozen dataclass, three presets, strict parsing.

A :class:`TrainConfig` is data only. The web app stores ``cfg.to_dict()`` with
the training job and model version; the worker rebuilds it with
:meth:`TrainConfig.from_dict`, which is also where user-supplied "advanced
settings" enter, so it checks every field once and raises ``ValueError``
naming the bad field. Values left as ``None`` are chosen from the labels at
training time (crop size, input scale, encoder depth); what was chosen is
recorded in the model artifact's ``config.json``.

The model is SLEAP-style top-down for one animal: a *centroid* U-Net on the
whole frame, average-pooled by ``centroid_downsample``, finds the animal; an
*instance* U-Net on a ``crop_size`` crop around it, sampled at
``input_scale``, finds the keypoints. The time budget is split between them
by ``centroid_time_fraction``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, get_args

Schedule = Literal["onecycle", "cosine", "constant"]
Device = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a pose model is trained.

    Geometry fields set to ``None`` are chosen from the labels.
    """

    preset: str = "balanced"
    seed: int = 0
    # budget and optimisation
    max_seconds: float | None = 600.0
    max_steps: int = 20000
    batch_size: int = 8
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    schedule: Schedule = "onecycle"
    warmup_fraction: float = 0.05
    val_every_steps: int = 0  # 0: about once per epoch of training frames
    early_stopping_patience: int = 12  # validations without improvement
    centroid_time_fraction: float = 0.2
    # network
    filters: int = 16
    filters_rate: float = 1.5
    batchnorm: bool = False  # instance net only; He init trains as fast, and BN is slow on CPU
    output_stride: int = 2
    max_stride: int | None = None
    sigma_px: float = 2.5
    centroid_sigma_px: float = 2.0
    # geometry
    centroid_downsample: int | None = None
    centroid_target_size_px: float = 32.0
    input_scale: float | None = None
    crop_size: int | None = None
    max_crop_size: int = 160
    # augmentation
    aug_rotation_deg: float = 180.0
    aug_scale: float = 0.1
    aug_translate_px: float = 8.0
    aug_brightness: float = 0.2
    aug_contrast: float = 0.2
    aug_noise_std: float = 0.02
    aug_flip: bool = True
    # runtime
    device: Device = "auto"
    num_threads: int | None = None
    amp: bool = True
    pretrained_weights: str | None = None

    def __post_init__(self) -> None:
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        return asdict(self)

    def to_json(self) -> str:
        """The config as a JSON string."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Parse :meth:`to_json` output (validated like :meth:`from_dict`)."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build a validated config from a preset plus overrides.

        Args:
            data: field values; ``"preset"`` (default ``"balanced"``) picks the
                base values and the other keys override them.

        Raises:
            ValueError: unknown field, wrong type or out-of-range value; the
                message names the field.
        """
        if not isinstance(data, dict):
            raise ValueError("config must be a JSON object")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        base = preset(str(data.get("preset", "balanced")))
        values = {k: _coerce(k, v, base) for k, v in data.items() if k != "preset"}
        return replace(base, **values)


PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"max_seconds": 120.0, "max_crop_size": 96, "filters": 16,
             "early_stopping_patience": 8},
    "balanced": {},
    "accurate": {"max_seconds": 1800.0, "max_crop_size": 256, "filters": 24,
                 "early_stopping_patience": 20},
}


def preset(name: str) -> TrainConfig:
    """The named preset: ``"fast"``, ``"balanced"`` or ``"accurate"``.

    Raises:
        ValueError: unknown preset name.
    """
    if name not in PRESETS:
        raise ValueError(f"preset: unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return TrainConfig(preset=name, **PRESETS[name])


def _coerce(name: str, value: Any, base: TrainConfig) -> Any:
    """Check the JSON type of one field against the default's type."""
    default = getattr(base, name)
    optional = name in _OPTIONAL
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name}: must not be null")
    expected = _OPTIONAL.get(name, type(default))
    if expected is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: expected true/false, got {value!r}")
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValueError(f"{name}: expected an integer, got {value!r}")
        return int(value)
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string, got {value!r}")
    return value


_OPTIONAL: dict[str, type] = {
    "max_seconds": float, "max_stride": int, "centroid_downsample": int,
    "input_scale": float, "crop_size": int, "num_threads": int, "pretrained_weights": str,
}


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ValueError(f"{name}: {message}")


def _validate(c: TrainConfig) -> None:
    _check(c.preset in PRESETS, "preset", f"unknown preset {c.preset!r}")
    _check(c.max_seconds is None or c.max_seconds > 0, "max_seconds", "must be > 0")
    for name in ("max_steps", "batch_size", "filters", "max_crop_size"):
        _check(getattr(c, name) >= 1, name, "must be >= 1")
    _check(c.batch_size <= 256, "batch_size", "must be <= 256")
    _check(0 < c.learning_rate <= 1, "learning_rate", "must be in (0, 1]")
    _check(0 <= c.weight_decay <= 1, "weight_decay", "must be in [0, 1]")
    _check(c.schedule in get_args(Schedule), "schedule", f"must be one of {get_args(Schedule)}")
    _check(0 <= c.warmup_fraction < 1, "warmup_fraction", "must be in [0, 1)")
    _check(c.val_every_steps >= 0, "val_every_steps", "must be >= 0")
    _check(c.early_stopping_patience >= 1, "early_stopping_patience", "must be >= 1")
    _check(0 < c.centroid_time_fraction < 1, "centroid_time_fraction", "must be in (0, 1)")
    _check(1 <= c.filters_rate <= 4, "filters_rate", "must be in [1, 4]")
    for name in ("output_stride", "max_stride"):
        v = getattr(c, name)
        _check(v is None or (v >= 1 and not v & (v - 1)), name, "must be a power of two")
    _check(c.max_stride is None or c.max_stride >= c.output_stride, "max_stride",
           "must be >= output_stride")
    for name in ("sigma_px", "centroid_sigma_px", "centroid_target_size_px"):
        _check(getattr(c, name) > 0, name, "must be > 0")
    _check(c.centroid_downsample is None or 1 <= c.centroid_downsample <= 32,
           "centroid_downsample", "must be in [1, 32]")
    _check(c.input_scale is None or 0.05 <= c.input_scale <= 4, "input_scale",
           "must be in [0.05, 4]")
    _check(c.crop_size is None or c.crop_size >= 16, "crop_size", "must be >= 16")
    _check(0 <= c.aug_rotation_deg <= 180, "aug_rotation_deg", "must be in [0, 180]")
    _check(0 <= c.aug_scale < 1, "aug_scale", "must be in [0, 1)")
    for name in ("aug_translate_px", "aug_brightness", "aug_contrast", "aug_noise_std"):
        v = getattr(c, name)
        _check(v >= 0 and math.isfinite(v), name, "must be a finite number >= 0")
    _check(c.device in get_args(Device), "device", f"must be one of {get_args(Device)}")
    _check(c.num_threads is None or c.num_threads >= 1, "num_threads", "must be >= 1")
