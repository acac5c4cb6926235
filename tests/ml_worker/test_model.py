import pytest
import torch

from ml_worker.model import UNetConfig, build_model, choose_max_stride, receptive_field


def test_unet_output_shape_follows_output_stride():
    net = build_model(UNetConfig(in_channels=3, out_channels=5, filters=4, max_stride=16,
                                 output_stride=4))
    assert net(torch.zeros(2, 3, 64, 48)).shape == (2, 5, 16, 12)


def test_receptive_field_grows_with_depth_and_covers_the_animal():
    assert receptive_field(8) < receptive_field(16) < receptive_field(32)
    for size in (30, 100, 200):
        assert receptive_field(choose_max_stride(size)) >= size


def test_bad_strides_are_rejected():
    with pytest.raises(ValueError, match="max_stride"):
        UNetConfig(max_stride=12)
    with pytest.raises(ValueError, match="output_stride"):
        UNetConfig(max_stride=8, output_stride=16)


def test_pretrained_weights_load_from_a_local_file(tmp_path):
    cfg = UNetConfig(out_channels=2, filters=4, max_stride=8)
    source = build_model(cfg)
    path = tmp_path / "w.pt"
    torch.save(source.state_dict(), path)
    target = build_model(cfg, weights_path=path)
    for a, b in zip(source.state_dict().values(), target.state_dict().values(), strict=True):
        assert torch.equal(a, b)
