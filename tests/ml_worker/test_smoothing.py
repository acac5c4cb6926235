import numpy as np
import pytest

from ml_worker.smoothing import interpolate_gaps, median_smooth, savgol_smooth


def noisy_track(n: int = 200, k: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, n)
    clean = np.stack([100 + 40 * np.cos(t), 80 + 30 * np.sin(t)], axis=-1)
    clean = np.repeat(clean[:, None, :], k, axis=1) + np.arange(k)[None, :, None] * 10
    noisy = clean + rng.normal(0, 2.0, clean.shape)
    scores = np.full((n, k), 0.9)
    return clean, noisy.astype(np.float32), scores.astype(np.float32)


def rmse(a, b):
    ok = np.isfinite(a).all(-1)
    return float(np.sqrt(np.mean(np.sum((a[ok] - b[ok]) ** 2, axis=-1))))


@pytest.mark.parametrize("smooth", [median_smooth, savgol_smooth])
def test_it_reduces_jitter_and_leaves_the_inputs_alone(smooth):
    clean, noisy, scores = noisy_track()
    before_points, before_scores = noisy.copy(), scores.copy()
    out = smooth(noisy, scores, window=7)
    np.testing.assert_array_equal(noisy, before_points)
    np.testing.assert_array_equal(scores, before_scores)
    assert out is not noisy and out.shape == noisy.shape and out.dtype == np.float32
    assert rmse(out, clean) < 0.75 * rmse(noisy, clean)


@pytest.mark.parametrize("smooth", [median_smooth, savgol_smooth])
def test_a_low_confidence_outlier_does_not_leak_into_its_neighbours(smooth):
    clean, noisy, scores = noisy_track()
    noisy[50, 0] = [500, 500]
    scores[50, 0] = 0.05
    out = smooth(noisy, scores, window=7, threshold=0.2)
    assert np.abs(out[45:56, 0] - clean[45:56, 0]).max() < 6  # interpolated, not dragged


def test_without_interpolation_low_confidence_points_become_nan():
    _, noisy, scores = noisy_track()
    scores[10:13, 1] = 0.0
    out = savgol_smooth(noisy, scores, window=5, interpolate=False)
    assert np.isnan(out[10:13, 1]).all() and np.isfinite(out[:10, 1]).all()
    assert np.isfinite(out[13:, 1]).all()


def test_gaps_longer_than_max_gap_and_at_the_edges_stay_nan():
    points = np.arange(20, dtype=np.float64)[:, None, None].repeat(2, axis=2)
    points[[0, 1]] = np.nan
    points[5:8] = np.nan
    points[10:16] = np.nan
    out = interpolate_gaps(points, max_gap=3)
    assert np.isnan(out[:2]).all() and np.isnan(out[10:16]).all()
    np.testing.assert_allclose(out[5:8, 0, 0], [5, 6, 7])


def test_it_rejects_an_even_window():
    _, noisy, scores = noisy_track(20)
    with pytest.raises(ValueError, match="window"):
        median_smooth(noisy, scores, window=4)


@pytest.mark.parametrize("smooth", [median_smooth, savgol_smooth])
def test_each_instance_is_smoothed_on_its_own(smooth):
    _, first, scores = noisy_track(seed=1)
    _, second, _ = noisy_track(seed=2)
    second = second + 300  # far away: no mixing between animals shows as a big error
    second[80:90] = np.nan  # this animal left the frame for a while
    points = np.stack([first, second], axis=1)  # (F, I, K, 2)
    out = smooth(points, np.stack([scores, scores], axis=1), window=7)
    assert out.shape == points.shape
    np.testing.assert_array_equal(out[:, 0], smooth(first, scores, window=7))
    np.testing.assert_array_equal(out[:, 1], smooth(second, scores, window=7))
    assert np.isnan(interpolate_gaps(points[:, 1:], max_gap=5)[80:90]).all()
