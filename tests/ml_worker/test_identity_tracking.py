"""The tracker with a model's identity scores: appearance names the tracks, motion smooths."""

from __future__ import annotations

import numpy as np

from ml_worker.tracking import TrackerConfig, retrack, retrack_file, track
from ml_worker.tracking.identity import assign_identities, smooth_along_tracklets

K = 4


def body(centre: tuple[float, float], heading: float) -> np.ndarray:
    """A 4-node stick animal 40 px long pointing along ``heading`` (radians)."""
    d = np.array([np.cos(heading), np.sin(heading)])
    side = np.array([-d[1], d[0]])
    offsets = [20 * d, 5 * d + 4 * side, 5 * d - 4 * side, -20 * d]
    return np.array([np.asarray(centre) + o for o in offsets])


def bounce(n_frames: int = 60) -> np.ndarray:
    """Two animals walk towards each other on one line, meet and walk back where they came from.

    Motion predicts that they walk through each other, so a motion tracker swaps them.
    """
    pts = np.zeros((n_frames, 2, K, 2))
    half = n_frames // 2
    for f in range(n_frames):
        step = f if f < half else 2 * half - f
        pts[f, 0] = body((40 + 4 * step, 100), 0.0 if f < half else np.pi)
        pts[f, 1] = body((40 + 8 * half - 4 * step, 100), np.pi if f < half else 0.0)
    return pts


# Frames where the model is confidently wrong about both animals: one in seven, none within
# the smoothing window of the meeting (frame 30). Next to a swap that motion makes inside a
# tracklet, one wrong frame can tip the window's balance; that is the limit of smoothing.
WRONG = [4, 11, 18, 41, 48, 55]


def noisy_identity(n_frames: int = 60, seed: int = 0) -> np.ndarray:
    """``(F, 2, 2)`` probabilities: column a is identity a (about 0.85), wrong on ``WRONG``."""
    rng = np.random.default_rng(seed)
    p = np.full((n_frames, 2, 2), 0.15)
    p[:, 0, 0] = p[:, 1, 1] = 0.85
    p += rng.uniform(-0.05, 0.05, size=p.shape)
    p[WRONG] = p[WRONG, :, ::-1]
    return p / p.sum(-1, keepdims=True)


def shuffle(pts: np.ndarray, extra: np.ndarray | None = None):
    """The detector's slot order carries no identity: every other frame swaps the slots."""
    out = pts.copy()
    out[1::2] = out[1::2, ::-1]
    if extra is None:
        return out
    other = extra.copy()
    other[1::2] = other[1::2, ::-1]
    return out, other


def accuracy(ids: np.ndarray) -> float:
    """Share of instances given their true identity, after :func:`shuffle` (slot
    order is identity order on even frames, reversed on odd ones)."""
    truth = np.tile([0, 1], (len(ids), 1))
    truth[1::2] = truth[1::2, ::-1]
    return float((ids == truth).mean())


def test_motion_alone_swaps_animals_that_meet_and_turn_back():
    pts = shuffle(bounce())
    ids = track(pts, config=TrackerConfig(similarity="centroid", motion="constant_velocity",
                                          max_tracks=2))
    first, last = ids[0], ids[-1]  # frame 59 is odd: its slots are swapped
    assert sorted(first.tolist()) == [0, 1]
    assert last[1] == first[1], "motion alone was expected to swap them (the test's premise)"


def test_identity_scores_fix_the_swap_and_outvote_single_wrong_frames():
    pts, probs = shuffle(bounce(), noisy_identity())
    assert accuracy(probs.argmax(-1)) == 0.9  # the model alone is wrong on 6 frames of 60
    config = TrackerConfig(similarity="centroid", motion="constant_velocity", max_tracks=2)
    ids = track(pts, config=config, identity_scores=probs)
    assert accuracy(ids) == 1.0
    # identity off: the same settings fall back to motion and swap
    off = track(pts, config=TrackerConfig(similarity="centroid", max_tracks=2, identity=False),
                identity_scores=probs)
    assert accuracy(off) < 0.75


def test_without_smoothing_every_frame_decides_alone():
    pts, probs = shuffle(bounce(), noisy_identity())
    ids = track(pts, config=TrackerConfig(similarity="centroid", identity_window=0),
                identity_scores=probs)
    np.testing.assert_array_equal(ids, probs.argmax(-1))


def test_smoothing_stays_inside_a_tracklet_and_a_window():
    log_p = np.zeros((6, 2, 2))
    log_p[:, 0, 0] = [0, 0, 0, 6, 0, 0]  # one strong frame in tracklet 0
    tracklets = np.array([[0, 1]] * 3 + [[2, 1]] * 3)  # tracklet 0 ends after frame 2
    out = smooth_along_tracklets(log_p, tracklets, np.arange(6), window=1)
    np.testing.assert_allclose(out[:, 0, 0], [0, 0, 0, 3, 2, 0])  # frames 3-5 are tracklet 2
    np.testing.assert_allclose(out[:, 1], 0)


def test_each_frame_gets_distinct_identities_and_surplus_instances_none():
    log_p = np.log(np.array([[[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]]]))
    ids = assign_identities(log_p, np.array([[True, True, True]]))
    assert sorted(ids[0].tolist()) == [-1, 0, 1] and ids[0, 0] == 0


def test_retrack_names_tracks_after_the_identities(tmp_path):
    pts, probs = shuffle(bounce(), noisy_identity())
    arrays = {"points": pts, "scores": np.ones(pts.shape[:3]), "identity_scores": probs,
              "identity_names": np.array(["female", "male"])}
    result = retrack(arrays, TrackerConfig(similarity="centroid", max_tracks=2))
    assert result.track_names == ["female", "male"] and accuracy(result.track_ids) == 1.0
    path = tmp_path / "p.npz"
    np.savez(path, **arrays, meta=np.array("{}"))
    again = retrack_file(path, TrackerConfig(similarity="centroid"))
    assert again.track_names == ["female", "male"]
    with np.load(path) as data:
        np.testing.assert_array_equal(data["track_ids"], result.track_ids)
        np.testing.assert_array_equal(data["identity_scores"], probs)
