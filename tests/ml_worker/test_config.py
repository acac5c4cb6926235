import pytest

from ml_worker.config import TrainConfig, preset


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
