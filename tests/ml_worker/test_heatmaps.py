import torch

from ml_worker.heatmaps import (
    bin_to_px,
    find_peaks,
    logits_to_confmaps,
    make_confmaps,
    px_to_bin,
    spatial_cross_entropy,
)


def test_bin_and_pixel_coordinates_round_trip():
    xy = torch.tensor([[3.25, 7.5]])
    assert torch.allclose(bin_to_px(px_to_bin(xy, 4), 4), xy)
    assert torch.allclose(bin_to_px(torch.tensor([[0.0, 0.0]]), 2), torch.tensor([[0.5, 0.5]]))


def test_confmap_peaks_at_the_keypoint_and_nan_gives_empty_map():
    kp = torch.tensor([[[10.0, 6.0], [float("nan"), float("nan")]]])
    maps = make_confmaps(kp, 16, 16, 1, 2.0)
    assert maps.shape == (1, 2, 16, 16)
    assert maps[0, 0, 6, 10] == 1.0
    assert maps[0, 1].sum() == 0


def test_find_peaks_is_subpixel_accurate_at_several_strides():
    torch.manual_seed(0)
    for stride in (1, 2, 4):
        kp = torch.rand(3, 5, 2) * 40 + 10
        maps = make_confmaps(kp, 64 // stride, 64 // stride, stride, sigma_px=2.5)
        radius = max(1, round(3 * 2.5 / stride))
        points, scores = find_peaks(maps, stride, radius)
        assert points.shape == (3, 5, 2) and scores.shape == (3, 5)
        assert (points - kp).abs().max() < 0.15, stride
        assert (scores > 0.5).all()


def test_softmax_confmaps_of_a_gaussian_target_peak_near_one():
    kp = torch.tensor([[[20.3, 11.7]]])
    target = make_confmaps(kp, 32, 32, 1, 2.0)
    logits = torch.log(target.clamp(min=1e-12))
    maps = logits_to_confmaps(logits, 2.0, 1)
    assert 0.9 < maps.max() < 1.1
    points, _ = find_peaks(maps, 1, 6)
    assert (points - kp).abs().max() < 0.1


def test_spatial_cross_entropy_is_lowest_for_the_target_and_ignores_masked_maps():
    kp = torch.tensor([[[10.0, 10.0], [5.0, 5.0]]])
    target = make_confmaps(kp, 24, 24, 1, 2.0)
    good = torch.log(target.clamp(min=1e-9))
    bad = torch.roll(good, shifts=5, dims=-1)
    mask = torch.tensor([[1.0, 0.0]])
    assert spatial_cross_entropy(good, target, mask) < spatial_cross_entropy(bad, target, mask)
    assert spatial_cross_entropy(good, target, mask) == spatial_cross_entropy(
        torch.cat([good[:, :1], bad[:, 1:]], 1), target, mask)
