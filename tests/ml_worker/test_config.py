import pytest

from ml_worker.config import (
    LIMITS,
    SERVER_ONLY_FIELDS,
    ConfigError,
    TrainConfig,
    job_config,
    preset,
    validate_job_config,
    wall_clock_limit,
)


def test_presets_differ_and_round_trip_through_json():
    fast, accurate = preset("fast"), preset("accurate")
    assert fast.max_seconds < preset("balanced").max_seconds < accurate.max_seconds
    assert TrainConfig.from_json(accurate.to_json()) == accurate


def test_from_dict_overrides_a_preset():
    cfg = TrainConfig.from_dict({"preset": "fast", "batch_size": 4, "max_seconds": None})
    assert cfg.preset == "fast" and cfg.batch_size == 4 and cfg.max_seconds is None


@pytest.mark.parametrize("data, field", [
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": "8"}, "batch_size"),
    ({"learning_rate": -1}, "learning_rate"),
    ({"output_stride": 3}, "output_stride"),
    ({"aug_flip": 1}, "aug_flip"),
    ({"preset": "huge"}, "preset"),
    ({"lr": 0.1}, "lr"),
])
def test_bad_settings_name_the_field(data, field):
    with pytest.raises(ValueError, match=field):
        TrainConfig.from_dict(data)


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_bounded_setting_refuses_a_value_above_its_range(name):
    low, high = LIMITS[name]
    too_big = int(high * 10 + 10) if float(high).is_integer() else high * 10 + 10
    with pytest.raises(ConfigError) as error:
        TrainConfig.from_dict({name: too_big})
    assert error.value.field == name
    assert f"from {low:g}" in error.value.reason or f"from {int(low)}" in error.value.reason


@pytest.mark.parametrize("data, field, words", [
    ({"crop_size": 5000}, "crop_size", "from 16 to 1024"),
    ({"max_crop_size": 4096}, "max_crop_size", "from 16 to 1024"),
    ({"filters": 1000}, "filters", "from 1 to 128"),
    ({"max_steps": 10**9}, "max_steps", "from 1 to 1000000"),
    ({"early_stopping_patience": 10**9}, "early_stopping_patience", "from 1 to 1000"),
    ({"max_seconds": 10**7}, "max_seconds", "from 1 to 86400"),
    ({"max_seconds": 10**400}, "max_seconds", "too large"),
    ({"batch_size": 100_000}, "batch_size", "from 1 to 256"),
    ({"learning_rate": float("nan")}, "learning_rate", "from"),
    ({"filters": 128, "filters_rate": 4.0}, "filters_rate", "channels"),
])
def test_huge_values_name_the_field_and_the_allowed_range(data, field, words):
    with pytest.raises(ConfigError) as error:
        job_config("balanced", data)
    assert error.value.field == field
    assert words in str(error.value)


def test_a_job_must_keep_a_time_budget():
    assert TrainConfig.from_dict({"max_seconds": None}).max_seconds is None  # library use
    with pytest.raises(ConfigError, match="max_seconds: is required"):
        job_config("fast", {"max_seconds": None})
    with pytest.raises(ConfigError, match="max_seconds: is required"):
        validate_job_config({**preset("fast").to_dict(), "max_seconds": None})  # the worker


@pytest.mark.parametrize("field", sorted(SERVER_ONLY_FIELDS))
def test_server_only_settings_are_refused_for_a_job(field):
    with pytest.raises(ConfigError, match=f"{field}: cannot be chosen"):
        job_config("fast", {field: preset("fast").to_dict()[field] or 1})


def test_every_preset_is_inside_the_limits_and_the_time_limit_leaves_room():
    for name in ("fast", "balanced", "accurate"):
        cfg = job_config(name, {})
        assert cfg.max_seconds < wall_clock_limit(cfg) <= cfg.max_seconds * 1.25 + 120
