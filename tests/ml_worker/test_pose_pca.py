import numpy as np

from ml_worker.active_learning import rank_frames
from ml_worker.pose_pca import fit_pose_pca, instance_outlier_scores, pose_outlier_scores
from tests.ml_worker.test_active_learning import smooth_predictions

# A mouse seen from above: snout, left ear, right ear, tail base (40 px long).
MOUSE = np.array([[20, 0], [8, -6], [8, 6], [-20, 0]], float)


def turned(pose: np.ndarray, angle: float, scale: float = 1.0, at=(0.0, 0.0)) -> np.ndarray:
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return pose @ rot.T * scale + np.asarray(at)


def labeled_mice(n: int = 30, seed: int = 0) -> np.ndarray:
    """Mice anywhere, any way round, any size, with a little labeling noise and head turns."""
    rng = np.random.default_rng(seed)
    poses = []
    for _ in range(n):
        pose = MOUSE + rng.normal(0, 0.8, MOUSE.shape)
        pose[0, 1] += rng.normal(0, 3)  # the head turns a little
        poses.append(turned(pose, rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 1.2),
                            rng.uniform(50, 500, 2)))  # fmt: skip
    return np.array(poses)


def test_a_plausible_pose_scores_low_and_a_broken_one_high():
    model = fit_pose_pca(labeled_mice())
    plausible = turned(MOUSE, 1.0, 1.1, (300, 200))
    tail_on_snout = plausible.copy()
    tail_on_snout[3] = plausible[0] + [4, 4]
    ears_behind_tail = plausible.copy()
    ears_behind_tail[[1, 2]] = turned(np.array([[-30, -6], [-30, 6]]), 1.0, 1.1, (300, 200))
    low, high, also_high = instance_outlier_scores(model, np.array(
        [plausible, tail_on_snout, ears_behind_tail]))  # fmt: skip
    assert low < 1.5
    assert high > 5 * low and also_high > 5 * low


def test_position_size_and_orientation_do_not_change_the_score():
    model = fit_pose_pca(labeled_mice())
    pose = MOUSE + [[0, 2], [0, 0], [0, 0], [0, 0]]
    scores = instance_outlier_scores(model, np.array(
        [pose, turned(pose, 2.5, 3.0, (900, 40)), turned(pose, -1.0, 0.5)]))  # fmt: skip
    np.testing.assert_allclose(scores, scores[0], rtol=1e-6)


def test_a_missing_node_is_scored_on_the_others_and_too_few_give_nan():
    model = fit_pose_pca(labeled_mice())
    broken = MOUSE.copy()
    broken[3] = broken[0] + [4, 4]
    no_left_ear = broken.copy()
    no_left_ear[1] = np.nan
    two_nodes = np.full_like(MOUSE, np.nan)
    two_nodes[:2] = MOUSE[:2]
    scores = instance_outlier_scores(model, np.array([no_left_ear, two_nodes]))
    assert scores[0] > 3 and np.isnan(scores[1])


def test_labels_with_missing_nodes_still_fit_and_too_few_fit_nothing():
    poses = labeled_mice(12)
    poses[::2, 1] = np.nan  # every other label lacks its left ear
    model = fit_pose_pca(poses)
    assert model is not None and model.num_nodes == 4 and model.n_poses == 12
    assert fit_pose_pca(labeled_mice(4)) is None


def test_a_frame_scores_its_worst_animal():
    model = fit_pose_pca(labeled_mice())
    good = turned(MOUSE, 0.3, 1.0, (100, 100))
    bad = good.copy()
    bad[3] = good[0]
    empty = np.full_like(MOUSE, np.nan)
    frames = pose_outlier_scores(model, np.array([[good, bad], [good, empty], [empty, empty]]))
    assert frames[0] > 5 * frames[1] and frames[2] == 0.0


def test_the_implausible_confident_frame_is_suggested_with_a_reason():
    preds = smooth_predictions()
    preds.points[30, 0, 3] = preds.points[30, 0, 0] + [3, 3]  # tail base on the snout, confidently
    model = fit_pose_pca(labeled_mice())
    picks = rank_frames(preds, n=1, weights={"pose_outlier": 1.0}, pose_model=model)
    assert picks[0].frame_index == 30
    assert any("pose unlike the labeled ones" in r for r in picks[0].reasons)
    # without a pose model the sub-score is not available
    assert "pose_outlier" not in rank_frames(preds, n=1)[0].subscores


def test_an_unsure_early_model_still_has_its_implausible_pose_found():
    from ml_worker.frame_scores import score_frames

    preds = smooth_predictions()
    preds.scores[:] = 0.2  # below the confidence threshold everywhere
    preds.points[30, 0, 3] = preds.points[30, 0, 0] + [3, 3]
    raw = score_frames(preds, pose_model=fit_pose_pca(labeled_mice()))
    assert int(np.argmax(raw["pose_outlier"])) == 30
