import numpy as np
import pytest

from backend.videos import picking


def test_uniform_spreads_frames_evenly():
    assert picking.pick_uniform(60, 6) == [5, 15, 25, 35, 45, 55]
    assert picking.pick_uniform(5, 5) == [0, 1, 2, 3, 4]


def test_random_is_distinct_in_range_and_seeded():
    frames = picking.pick_random(100, 20, seed=7)
    assert len(set(frames)) == 20 and all(0 <= f < 100 for f in frames)
    assert frames == picking.pick_random(100, 20, seed=7)
    assert frames != picking.pick_random(100, 20, seed=8)


@pytest.mark.parametrize("count", [0, 61])
def test_impossible_counts_are_refused(count):
    with pytest.raises(ValueError, match="Cannot pick"):
        picking.pick_uniform(60, count)


def test_kmeans_picks_one_frame_per_look():
    # Three looks (dark, grey, bright), ten frames each, interleaved in time.
    rng = np.random.default_rng(0)
    looks = [0.1, 0.5, 0.9]
    indices = list(range(30))
    features = np.stack([np.full(50, looks[i % 3]) + rng.normal(0, 0.01, 50) for i in indices])
    picked = picking.pick_kmeans(indices, features.astype(np.float32), 3, seed=0)
    assert sorted(i % 3 for i in picked) == [0, 1, 2]


def test_kmeans_always_returns_count_distinct_frames():
    features = np.zeros((10, 4), np.float32)  # identical frames: clusters may come back empty
    picked = picking.pick_kmeans(list(range(10, 20)), features, 4, seed=1)
    assert len(set(picked)) == 4 and all(10 <= i < 20 for i in picked)


def test_frame_features_shrink_to_grayscale_and_report_progress():
    frames = [(i, np.full((120, 160, 3), i * 10, np.uint8)) for i in range(5)]
    seen = []
    indices, features = picking.frame_features(frames, 5, lambda f, m: seen.append(f))
    assert indices == [0, 1, 2, 3, 4]
    assert features.shape == (5, 30 * 22)
    assert seen[-1] == 1.0


def test_long_videos_are_sampled_with_a_step():
    assert picking.sampling_step(500, 10) == 1
    assert picking.sampling_step(100_000, 10) == 50
