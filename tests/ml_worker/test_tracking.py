"""Tracking: the online pass, stitching into a known number of animals, re-tracking files, metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ml_worker.synthetic_multi import occlusion, trajectories
from ml_worker.tracking import TrackerConfig, link, retrack_file, stitch, track
from ml_worker.tracking_metrics import tracking_metrics

K = 4


def body(centre: tuple[float, float], heading: float) -> np.ndarray:
    """A 4-node stick animal 40 px long pointing along ``heading`` (radians)."""
    d = np.array([np.cos(heading), np.sin(heading)])
    side = np.array([-d[1], d[0]])
    offsets = [20 * d, 5 * d + 4 * side, 5 * d - 4 * side, -20 * d]
    return np.array([np.asarray(centre) + o for o in offsets])


def crossing(n_frames: int = 60) -> np.ndarray:
    """Two animals that swap places: A walks right, B walks left, on the same line.

    Their centres meet halfway, where the frame-to-frame nearest neighbour is
    ambiguous; only motion (or heading) keeps them apart.
    """
    pts = np.zeros((n_frames, 2, K, 2))
    for f in range(n_frames):
        pts[f, 0] = body((20 + 4 * f, 100), 0.0)
        pts[f, 1] = body((20 + 4 * (n_frames - 1) - 4 * f, 100), np.pi)
    return pts


def truth(n_frames: int, n: int) -> np.ndarray:
    return np.broadcast_to(np.arange(n, dtype=np.int32), (n_frames, n)).copy()


def swap_columns_every_other_frame(pts: np.ndarray) -> np.ndarray:
    """The detector's order carries no identity."""
    out = pts.copy()
    out[1::2] = out[1::2, ::-1]
    return out


def id_switches(gt: np.ndarray, pred_points: np.ndarray, ids: np.ndarray) -> int:
    return tracking_metrics(gt, truth(len(gt), gt.shape[1]), pred_points, ids)["id_switches"]


@pytest.mark.parametrize("motion", ["constant_velocity", "kalman"])
def test_two_animals_that_swap_places_keep_their_identities_with_a_motion_model(motion):
    gt = crossing()
    shuffled = swap_columns_every_other_frame(gt)
    ids = track(shuffled, config=TrackerConfig(similarity="centroid", motion=motion))
    assert len(np.unique(ids)) == 2
    assert id_switches(gt, shuffled, ids) == 0


def test_without_a_motion_model_centroids_alone_swap_them():
    """The crossing is a real test: the motion-free centroid tracker does get it wrong."""
    gt = crossing()
    shuffled = swap_columns_every_other_frame(gt)
    ids = track(shuffled, config=TrackerConfig(similarity="centroid", motion="none"))
    assert id_switches(gt, shuffled, ids) >= 1


def test_a_track_missing_for_a_few_frames_is_relinked_within_the_window():
    gt = crossing(40)
    pts = gt.copy()
    pts[10:13, 0] = np.nan  # animal A is not detected for three frames
    ids = link(pts, None, TrackerConfig(window=5))
    assert ids[9, 0] == ids[13, 0] != ids[13, 1]
    assert (ids[10:13, 0] == -1).all()


def test_a_gap_longer_than_the_window_starts_a_new_tracklet():
    pts = crossing(40)
    pts[10:20, 0] = np.nan
    ids = link(pts, None, TrackerConfig(window=3))
    assert ids[9, 0] != ids[20, 0]
    assert len(np.unique(ids[ids >= 0])) == 3


def test_stitching_joins_broken_tracklets_into_max_tracks_identities():
    gt = crossing(60)
    pts = gt.copy()
    pts[10:25, 0] = np.nan  # A lost for 15 frames
    pts[35:45, 1] = np.nan  # B lost for 10 frames
    online = link(pts, None, TrackerConfig(window=2))
    assert len(np.unique(online[online >= 0])) == 4
    ids = stitch(pts, online, max_tracks=2)
    assert set(np.unique(ids[ids >= 0]).tolist()) == {0, 1}
    assert id_switches(gt, pts, ids) == 0


def test_max_tracks_leaves_extra_low_score_detections_untracked():
    gt = crossing(30)
    pts = np.concatenate([gt, gt[:, :1] + 200], axis=1)  # a third, spurious "animal"
    scores = np.tile([0.9, 0.8, 0.1], (30, 1))
    ids = track(pts, instance_scores=scores, config=TrackerConfig(max_tracks=2))
    assert (ids[:, 2] == -1).all()
    assert len(np.unique(ids[:, :2])) == 2


def test_min_instance_score_and_min_points_filter_candidates():
    pts = crossing(10)
    pts[:, 1, 1:] = np.nan  # B shows one node only
    scores = np.tile([0.2, 0.9], (10, 1))
    ids = track(pts, instance_scores=scores,
                config=TrackerConfig(min_instance_score=0.5, min_points=2))
    assert (ids == -1).all()


def test_three_identical_synthetic_animals_tracked_from_noisy_true_poses_without_switches():
    gt = trajectories(300, 3, 400, 300, seed=3, scale=1.25)
    rng = np.random.default_rng(0)
    noisy = gt + rng.normal(0, 1.5, gt.shape)
    noisy[occlusion(gt, 1.25) < 2] = np.nan
    order = np.argsort(rng.random(gt.shape[:2]), axis=1)
    pts = np.take_along_axis(noisy, order[:, :, None, None], axis=1)
    ids = track(pts, config=TrackerConfig(max_tracks=3))
    m = tracking_metrics(gt, truth(300, 3), pts, ids)
    assert m["id_switches"] == 0 and m["tracks"] == 3 and m["idf1"] == 1.0


def test_retrack_file_replaces_track_ids_and_names_and_keeps_the_rest(tmp_path):
    gt = crossing(20)
    path = tmp_path / "preds.npz"
    meta = {"fps": 30.0, "node_names": list("abcd"), "track_names": []}
    np.savez(path, points=gt.astype(np.float32), scores=np.ones((20, 2, K), np.float32),
             instance_scores=np.ones((20, 2), np.float32),
             track_ids=np.full((20, 2), -1, np.int32), frame_indices=np.arange(20),
             meta=np.array(json.dumps(meta)))
    result = retrack_file(path, TrackerConfig(max_tracks=2), names=["mouse"])
    with np.load(path) as data:
        stored_meta = json.loads(str(data["meta"]))
        assert (data["track_ids"] == result.track_ids).all()
        assert data["points"].shape == (20, 2, K, 2)
    assert stored_meta["track_names"] == ["mouse", "track_1"]
    assert stored_meta["node_names"] == list("abcd")
    assert stored_meta["tracking"]["config"]["max_tracks"] == 2
    assert result.frames_per_second > 0


def test_tracker_config_rejects_bad_settings_by_name():
    with pytest.raises(ValueError, match="similarity"):
        TrackerConfig.from_dict({"similarity": "smell"})
    with pytest.raises(ValueError, match="unknown"):
        TrackerConfig.from_dict({"windw": 3})
    assert TrackerConfig.from_dict({"max_tracks": 2}).max_tracks == 2


def test_metrics_count_a_swap_as_two_switches_and_lower_idf1():
    gt = crossing(20)
    pred_ids = truth(20, 2)
    pred_ids[10:] = pred_ids[10:, ::-1]  # the tracker swaps the two halfway
    m = tracking_metrics(gt, truth(20, 2), gt, pred_ids)
    assert m["id_switches"] == 2
    assert m["idf1"] == pytest.approx(0.5)
    assert m["mota"] == pytest.approx(1 - 2 / 40)


def test_metrics_count_misses_and_false_positives():
    gt = crossing(10)
    pred = gt.copy()
    pred[:5, 1] = np.nan  # B missed in 5 frames
    pred[:, 0] += 300  # A's track is nowhere near A: 10 false positives, 10 misses
    m = tracking_metrics(gt, truth(10, 2), pred, truth(10, 2))
    assert (m["misses"], m["false_positives"], m["id_switches"]) == (15, 10, 0)
    assert m["mota"] == pytest.approx(1 - 25 / 20)
    assert m["idf1"] == pytest.approx(2 * 5 / (20 + 15))


def test_a_one_frame_flicker_far_from_every_identity_stays_untracked():
    gt = crossing(40)
    pts = gt.copy()
    pts[20, 0] = gt[20, 0] + [0, 250]  # A's detection in frame 20 lands far away
    ids = track(pts, config=TrackerConfig(max_tracks=2))
    assert ids[20, 0] == -1
    assert ids[19, 0] == ids[21, 0] != ids[21, 1]
    assert id_switches(gt, pts, ids) == 0
