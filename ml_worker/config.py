"""Training configuration: one frozen dataclass, three presets, strict parsing.

A :class:`TrainConfig` is data only. The web app stores ``cfg.to_dict()`` with
the training job and model version; the worker rebuilds it with
:meth:`TrainConfig.from_dict`, which is also where user-supplied "advanced
settings" enter, so it checks every field once and raises ``ConfigError`` (a
``ValueError``) naming the bad field and the allowed range. :data:`LIMITS` is
the one table of bounds. :func:`job_config` adds the rules for a user's job
(server-only fields refused, a time budget required): the API serializer
calls it, and the worker re-checks the stored config with
:func:`validate_job_config`. Values left as ``None`` are chosen from the
labels at training time (crop size, input scale, encoder depth); what was
chosen is recorded in the model artifact's ``config.json``.

``model_kind`` picks the model. ``"top_down"`` (default) is SLEAP-style: a
*centroid* U-Net on the whole frame, average-pooled by ``centroid_downsample``,
finds every animal (up to ``max_instances``); an *instance* U-Net on a
``crop_size`` crop around each one, sampled at ``input_scale``, finds its
keypoints. The time budget is split between them by
``centroid_time_fraction``. ``"bottom_up"`` finds all nodes at once and groups
them with part affinity fields (:mod:`ml_worker.bottomup`).

``identity`` (top-down): with ``"auto"`` the instance net also learns which
named animal it sees when the labels' track names are consistent identities
(:func:`ml_worker.identity.identity_names`), ``"on"`` whenever there are two
names, ``"off"`` never; its cross-entropy is weighted by ``identity_loss_weight``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, get_args

Schedule = Literal["onecycle", "cosine", "constant"]
Device = Literal["auto", "cpu", "cuda"]
ModelKind = Literal["top_down", "bottom_up"]
IdentityMode = Literal["auto", "on", "off"]
EncoderMode = Literal["auto", "off"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a pose model is trained.

    Geometry fields set to ``None`` are chosen from the labels.
    """

    preset: str = "balanced"
    seed: int = 0
    # model: top-down (centroid + centered instance) or bottom-up (confmaps + PAFs)
    model_kind: ModelKind = "top_down"
    # animals per frame the model reports: at least this many, and never fewer than the
    # most in one labeled frame (None: from the labels alone)
    max_instances: int | None = None
    # identity head on the instance net (top-down): "auto" when the labels' track names are
    # consistent identities (see ml_worker.identity), "on" whenever there are two names
    identity: IdentityMode = "auto"
    identity_loss_weight: float = 0.2  # 1.0 slowed the keypoints on our synthetic pairs
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
    # unlabeled frames (ml_worker.pretrain, ml_worker.pseudo_labels): "auto" warm-starts the
    # encoders from the project's latest finished pretraining, if any (the worker fills in
    # pretrained_encoder, a server path); pseudo_labels adds the previous model version's
    # predictions scoring at least pseudo_label_threshold to the training frames. "auto" is
    # the default because it helped in bench/unlabeled.py (open field, 20 and all labels);
    # pseudo-labels hurt there, so they stay off
    use_pretrained_encoder: EncoderMode = "auto"
    pretrained_encoder: str | None = None
    pseudo_labels: bool = False
    pseudo_label_threshold: float = 0.5

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
            raise ConfigError("config", "must be a JSON object")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting(s): {', '.join(unknown)}")
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
        raise ConfigError("preset", f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return TrainConfig(preset=name, **PRESETS[name])


def _coerce(name: str, value: Any, base: TrainConfig) -> Any:
    """Check the JSON type of one field against the default's type."""
    default = getattr(base, name)
    optional = name in _OPTIONAL
    if value is None:
        if optional:
            return None
        raise ConfigError(name, "must not be null")
    expected = _OPTIONAL.get(name, type(default))
    if expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(name, f"expected true/false, got {value!r}")
        return value
    number = not isinstance(value, bool) and isinstance(value, int | float)
    if expected is int:
        if not number or not math.isfinite(value) or value != int(value):
            raise ConfigError(name, f"expected an integer, got {value!r}")
        return int(value)
    if expected is float:
        if not number:
            raise ConfigError(name, f"expected a number, got {value!r}")
        try:
            return float(value)
        except OverflowError:  # an integer past float range: out of every bound
            raise ConfigError(name, "is far too large") from None
    if not isinstance(value, str):
        raise ConfigError(name, f"expected a string, got {value!r}")
    return value


_OPTIONAL: dict[str, type] = {
    "max_seconds": float, "max_stride": int, "centroid_downsample": int,
    "input_scale": float, "crop_size": int, "num_threads": int, "pretrained_weights": str,
    "max_instances": int, "pretrained_encoder": str,
}


# Every numeric field's allowed range, inclusive: the one place the web app (API
# serializer), the presets endpoint and the worker read bounds from. The upper bounds
# keep one job inside a worker's memory and time; the worker's memory guard
# (ml_worker.guard) catches combinations that are each in range but too big together.
LIMITS: dict[str, tuple[float, float]] = {
    "seed": (0, 2**31 - 1),
    "max_instances": (1, 64),
    "identity_loss_weight": (0.01, 100),
    "max_seconds": (1, 24 * 3600),
    "max_steps": (1, 1_000_000),
    "batch_size": (1, 256),
    "learning_rate": (1e-6, 1.0),
    "weight_decay": (0, 1),
    "warmup_fraction": (0, 0.9),
    "val_every_steps": (0, 100_000),
    "early_stopping_patience": (1, 1000),
    "centroid_time_fraction": (0.05, 0.95),
    "filters": (1, 128),
    "filters_rate": (1, 4),
    "output_stride": (1, 16),
    "max_stride": (1, 64),
    "sigma_px": (0.1, 64),
    "centroid_sigma_px": (0.1, 64),
    "centroid_target_size_px": (1, 1024),
    "centroid_downsample": (1, 32),
    "input_scale": (0.05, 4),
    "crop_size": (16, 1024),
    "max_crop_size": (16, 1024),
    "aug_rotation_deg": (0, 180),
    "aug_scale": (0, 0.9),
    "aug_translate_px": (0, 256),
    "aug_brightness": (0, 1),
    "aug_contrast": (0, 1),
    "aug_noise_std": (0, 1),
    "num_threads": (1, 256),
    "pseudo_label_threshold": (0, 1),
}
# Channels of the deepest U-Net layer (filters * filters_rate ** depth) a job may ask for.
MAX_WIDEST_CHANNELS = 4096
# Settings a user must not choose from the browser: server paths and hardware.
SERVER_ONLY_FIELDS = frozenset({"pretrained_weights", "pretrained_encoder", "device",
                                "num_threads"})
# A job (not a library call) must end on its own: a wall-clock budget is required.
JOB_REQUIRED_FIELDS = ("max_seconds",)


class ConfigError(ValueError):
    """A bad setting; ``field`` names it, ``reason`` says what is allowed."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def job_config(preset_name: str, advanced: dict[str, Any] | None) -> TrainConfig:
    """The config of a training job from a preset plus a user's advanced settings.

    Stricter than :meth:`TrainConfig.from_dict`: server-only fields are refused
    and a job must keep a wall-clock budget (``max_seconds``).

    Raises:
        ConfigError: the message names the field and the allowed values.
    """
    if not isinstance(advanced, dict | None):
        raise ConfigError("advanced", "must be a JSON object")
    advanced = dict(advanced or {})
    blocked = sorted(SERVER_ONLY_FIELDS & advanced.keys())
    if blocked:
        raise ConfigError(blocked[0], "cannot be chosen here")
    return validate_job_config({**advanced, "preset": preset_name})


def validate_job_config(data: dict[str, Any]) -> TrainConfig:
    """Re-check a stored job config (the worker does, before it trains)."""
    cfg = TrainConfig.from_dict(data)
    for name in JOB_REQUIRED_FIELDS:
        low, high = LIMITS[name]
        _check(getattr(cfg, name) is not None, name, f"is required (from {_fmt(low)} to {_fmt(high)})")
    return cfg


def wall_clock_limit(cfg: TrainConfig) -> float:
    """Seconds a job may run in all: its training budget plus room to evaluate and export."""
    budget = cfg.max_seconds or LIMITS["max_seconds"][1]
    return budget + max(120.0, 0.25 * budget)


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ConfigError(name, message)


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _in_range(c: TrainConfig, name: str) -> None:
    value = getattr(c, name)
    if value is None:
        return
    low, high = LIMITS[name]
    _check(math.isfinite(value) and low <= value <= high, name,
           f"must be from {_fmt(low)} to {_fmt(high)}, got {value!r}")


def _validate(c: TrainConfig) -> None:
    _check(c.preset in PRESETS, "preset", f"unknown preset {c.preset!r}")
    for name in LIMITS:
        _in_range(c, name)
    _check(c.model_kind in get_args(ModelKind), "model_kind",
           f"must be one of {get_args(ModelKind)}")
    _check(c.identity in get_args(IdentityMode), "identity",
           f"must be one of {get_args(IdentityMode)}")
    _check(c.use_pretrained_encoder in get_args(EncoderMode), "use_pretrained_encoder",
           f"must be one of {get_args(EncoderMode)}")
    _check(c.schedule in get_args(Schedule), "schedule", f"must be one of {get_args(Schedule)}")
    for name in ("output_stride", "max_stride"):
        v = getattr(c, name)
        _check(v is None or not v & (v - 1), name, "must be a power of two")
    _check(c.max_stride is None or c.max_stride >= c.output_stride, "max_stride",
           "must be >= output_stride")
    depth = math.log2(max(c.max_stride or 32, c.output_stride))
    widest = c.filters * c.filters_rate**depth
    _check(widest <= MAX_WIDEST_CHANNELS, "filters_rate",
           f"filters * filters_rate ** {depth:g} gives {widest:.0f} channels in the deepest "
           f"layer; must be at most {MAX_WIDEST_CHANNELS} (lower filters or filters_rate)")
    _check(c.device in get_args(Device), "device", f"must be one of {get_args(Device)}")
