"""Encoder pretraining: it learns, stops when asked, and its levels fill U-Nets of any depth."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml_worker.model import UNet, UNetConfig
from ml_worker.pretrain import (
    PretrainConfig,
    load_encoder,
    pretrain_encoder,
    read_encoder,
    save_encoder,
)

TINY = PretrainConfig(max_seconds=120, max_steps=30, batch_size=4, crop_size=32, filters=4,
                      filters_rate=1.5, max_stride=16)


def _frames(n: int = 4) -> list[np.ndarray]:
    """Frames with structure worth inpainting: bright discs on a gradient, two sizes."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        h, w = (48, 64) if i % 2 else (40, 40)
        yy, xx = np.mgrid[:h, :w]
        cy, cx = rng.uniform(10, h - 10), rng.uniform(10, w - 10)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < 36) * 180
        out.append(np.stack([xx * 2, yy * 2, disc], -1).clip(0, 255).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def encoder_file(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: one thread is faster on a shared machine
    try:
        result = pretrain_encoder(_frames(), TINY)
    finally:
        torch.set_num_threads(threads)
    return save_encoder(tmp_path_factory.mktemp("enc") / "encoder.pt", result, TINY), result


def test_it_lowers_the_inpainting_loss(encoder_file):
    _, result = encoder_file
    assert result.status == "completed" and result.steps == 30
    assert result.history[-1]["loss"] < result.history[0]["loss"]


def test_it_stops_when_asked():
    calls = iter(range(100))
    result = pretrain_encoder(_frames(), TINY, should_stop=lambda: next(calls) >= 3)
    assert (result.status, result.steps, result.levels) == ("cancelled", 3, [])


@pytest.mark.parametrize("stride", [8, 16])
def test_it_fills_encoder_and_bottleneck_of_each_depth(encoder_file, stride):
    path, _ = encoder_file
    levels = read_encoder(path)["levels"]
    net = UNet(UNetConfig(out_channels=5, filters=4, filters_rate=1.5, max_stride=stride))
    loaded = load_encoder(net, path)
    depth = net.cfg.depth
    assert len(loaded) == 4 * (depth + 1)  # two convs per level, weight and bias
    for i, block in enumerate(net.encoders):
        assert torch.equal(block[0].weight, levels[i][0]["weight"])
        assert torch.equal(block[2].bias, levels[i][1]["bias"])
    # the bottleneck of a shallower net is the pretraining's encoder level at its depth
    assert torch.equal(net.bottleneck[2].weight, levels[depth][1]["weight"])
    assert not any(n.startswith(("decoders", "head")) for n in loaded)


def test_a_deeper_or_wider_net_keeps_its_own_init_where_shapes_differ(encoder_file):
    path, _ = encoder_file
    deeper = UNet(UNetConfig(out_channels=2, filters=4, filters_rate=1.5, max_stride=32))
    before = deeper.bottleneck[0].weight.clone()
    loaded = load_encoder(deeper, path)
    assert torch.equal(deeper.bottleneck[0].weight, before)
    assert "encoders.4.0.weight" in loaded  # level 4 of the pretraining was its bottleneck
    wider = UNet(UNetConfig(out_channels=2, filters=8, max_stride=16))
    assert load_encoder(wider, path) == []


def test_batchnorm_nets_get_the_weights_without_biases(encoder_file):
    path, _ = encoder_file
    net = UNet(UNetConfig(out_channels=2, filters=4, filters_rate=1.5, max_stride=8,
                          batchnorm=True))
    loaded = load_encoder(net, path)
    assert loaded and all(name.endswith(".weight") for name in loaded)
    assert torch.equal(net.encoders[0][3].weight, read_encoder(path)["levels"][0][1]["weight"])
