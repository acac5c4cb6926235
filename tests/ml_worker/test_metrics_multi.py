"""COCO keypoint mAP/mAR and matched-instance errors, checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml_worker.metrics_multi import evaluate, hungarian_pairs, instance_areas, oks_matrix

NODES = ["a", "b", "c", "d"]
# A 10 x 10 square: bounding-box area 100, so with sigma 0.025 an offset d at every node
# gives OKS = exp(-d² / (2 · 100 · 0.05²)) = exp(-2 d²).
SQUARE = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], np.float32)


def offset_for(oks: float) -> float:
    """The offset (px, same at every node of SQUARE) that gives this OKS."""
    return math.sqrt(-math.log(oks) / 2)


def animal(x: float, y: float, shift: float = 0.0) -> np.ndarray:
    """SQUARE placed at (x, y), every point moved right by ``shift``."""
    return SQUARE + np.array([x + shift, y], np.float32)


def pad(frames: list[list[np.ndarray]], n: int) -> np.ndarray:
    """Instances per frame -> ``(F, n, K, 2)`` NaN-padded."""
    out = np.full((len(frames), n, len(NODES), 2), np.nan, np.float32)
    for f, instances in enumerate(frames):
        for i, inst in enumerate(instances):
            out[f, i] = inst
    return out


def run(gt: list[list[np.ndarray]], pred: list[list[np.ndarray]],
        scores: list[list[float]], **kw) -> dict:
    n_gt = max(1, max(len(g) for g in gt))
    n_pred = max(1, max(len(p) for p in pred))
    gt_points = pad(gt, n_gt)
    vis = np.where(np.isnan(gt_points).any(-1), 0, 2).astype(np.int8)
    pred_points = pad(pred, n_pred)
    inst_scores = np.full((len(pred), n_pred), np.nan, np.float32)
    for f, s in enumerate(scores):
        inst_scores[f, : len(s)] = s
    node_scores = np.where(np.isnan(pred_points).any(-1), np.nan, 1.0).astype(np.float32)
    return evaluate(pred_points, node_scores, inst_scores, gt_points, vis, NODES, **kw)


def test_oks_matches_the_coco_formula_by_hand():
    gt = SQUARE[None]
    vis = np.full((1, 4), 2, np.int8)
    pred = np.stack([SQUARE + [0.4, 0.0], SQUARE + [0.0, 0.0]])
    oks = oks_matrix(pred, gt, vis, sigma=0.025)
    assert instance_areas(gt, vis).tolist() == [100.0]
    assert oks[0, 0] == pytest.approx(math.exp(-0.16 / (2 * 100 * 0.05**2)))
    assert oks[1, 0] == pytest.approx(1.0)


def test_oks_ignores_unlabeled_nodes_and_counts_missing_predictions_as_zero():
    gt = SQUARE[None].copy()
    vis = np.array([[2, 2, 2, 0]], np.int8)  # node d absent: its coordinates must not matter
    pred = SQUARE[None].copy()
    pred[0, 3] = (500, 500)
    assert oks_matrix(pred, gt, vis)[0, 0] == pytest.approx(1.0)
    vis[0, 3] = 2
    pred[0, 3] = np.nan
    assert oks_matrix(pred, gt, vis)[0, 0] == pytest.approx(0.75)


def test_perfect_predictions_score_one_everywhere():
    gt = [[animal(0, 0), animal(100, 0)], [animal(50, 50)]]
    m = run(gt, gt, [[0.9, 0.8], [0.7]])
    assert m["map_oks"] == pytest.approx(1.0)
    assert m["mar_oks"] == pytest.approx(1.0)
    assert m["ap50"] == m["ap75"] == pytest.approx(1.0)
    assert m["rmse_matched_px"] == pytest.approx(0.0)
    assert m["pck"] == 1.0
    assert (m["matched_instances"], m["missed_instances"], m["spurious_instances"]) == (3, 0, 0)
    assert set(m["per_node"]) == set(NODES)
    assert m["per_node"]["a"] == {"rmse_px": 0.0, "pck": 1.0}


def test_a_missing_animal_lowers_recall_and_precision_past_it():
    gt = [[animal(0, 0), animal(100, 0)], [animal(0, 0), animal(100, 0)]]
    pred = [[animal(0, 0), animal(100, 0)], [animal(0, 0)]]
    m = run(gt, pred, [[0.9, 0.8], [0.7]])
    assert m["mar_oks"] == pytest.approx(0.75)
    # precision is 1 up to recall 0.75 (recall points 0.00..0.75: 76 of 101), then 0
    assert m["map_oks"] == pytest.approx(76 / 101)
    assert (m["matched_instances"], m["missed_instances"], m["spurious_instances"]) == (3, 1, 0)


def test_a_low_score_spurious_animal_leaves_ap_alone_but_a_confident_one_costs():
    gt = [[animal(0, 0), animal(100, 0)], [animal(0, 0), animal(100, 0)]]
    ghost = animal(300, 300)
    low = run(gt, [gt[0] + [ghost], gt[1]], [[0.9, 0.8, 0.01], [0.7, 0.6]])
    assert low["map_oks"] == pytest.approx(1.0)
    assert low["spurious_instances"] == 1
    high = run(gt, [gt[0] + [ghost], gt[1]], [[0.9, 0.8, 0.99], [0.7, 0.6]])
    # ranked FP, TP, TP, TP, TP: precision 0, 1/2, 2/3, 3/4, 4/5 -> interpolated 0.8 everywhere
    assert high["map_oks"] == pytest.approx(0.8)
    assert high["mar_oks"] == pytest.approx(1.0)


def test_one_animal_found_at_oks_0_726_counts_for_five_of_ten_thresholds():
    d = 0.4  # OKS exp(-2 * 0.16) = 0.726: a hit at 0.50 ... 0.70, a miss at 0.75 ... 0.95
    m = run([[animal(0, 0)]], [[animal(0, 0, d)]], [[0.5]])
    assert m["map_oks"] == pytest.approx(0.5)
    assert m["mar_oks"] == pytest.approx(0.5)
    assert (m["ap50"], m["ap75"]) == (pytest.approx(1.0), pytest.approx(0.0))
    assert m["rmse_matched_px"] == pytest.approx(d)


def test_interleaved_scores_over_two_frames_match_a_cocoeval_computation_by_hand():
    """Frame A: two birds found with OKS 0.96 and 0.62; frame B: a confident bad guess
    (OKS 0.30) before a perfect one. Ranked: A1 0.9, B-bad 0.85, A2 0.8, B-good 0.7.

    Thresholds 0.50-0.60: TP FP TP TP -> recall 1/3 1/3 2/3 1, precision 1 .5 .67 .75,
    made monotone 1 .75 .75 .75 -> 34 recall points at 1.0 and 67 at 0.75.
    Thresholds 0.65-0.95: TP FP FP TP -> recall 1/3 1/3 1/3 2/3, precision 1 .5 .33 .5,
    monotone 1 .5 .5 .5 -> 34 points at 1.0, 33 at 0.5, 34 at 0 (past recall 2/3).
    """
    a1, a2 = animal(0, 0, offset_for(0.96)), animal(200, 0, offset_for(0.62))
    b_bad, b_good = animal(0, 0, offset_for(0.30)), animal(0, 0)
    m = run([[animal(0, 0), animal(200, 0)], [animal(0, 0)]],
            [[a1, a2], [b_bad, b_good]], [[0.9, 0.8], [0.85, 0.7]])
    low_ap, high_ap = (34 + 67 * 0.75) / 101, (34 + 33 * 0.5) / 101
    assert m["ap50"] == pytest.approx(low_ap)
    assert m["ap75"] == pytest.approx(high_ap)
    assert m["map_oks"] == pytest.approx((3 * low_ap + 7 * high_ap) / 10)
    assert m["mar_oks"] == pytest.approx((3 * 1 + 7 * 2 / 3) / 10)
    # Hungarian at OKS >= 0.5: A1, A2 and B-good matched, B-bad spurious
    assert (m["matched_instances"], m["missed_instances"], m["spurious_instances"]) == (3, 0, 1)
    d1, d2 = offset_for(0.96), offset_for(0.62)
    assert m["rmse_matched_px"] == pytest.approx(math.sqrt((4 * d1**2 + 4 * d2**2) / 12), rel=1e-5)


def test_hungarian_matching_maximises_total_oks_not_row_by_row():
    oks = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert sorted(hungarian_pairs(oks, 0.5)) == [(0, 1), (1, 0)]
    assert hungarian_pairs(oks, 0.82) == [(1, 0)]


def test_unpredicted_points_fail_pck_but_stay_out_of_rmse():
    pred = animal(0, 0)
    pred[3] = np.nan
    m = run([[animal(0, 0)]], [[pred]], [[0.9]], pck_threshold_px=1.0)
    assert m["unpredicted_points"] == 1
    assert m["pck"] == pytest.approx(0.75)
    assert m["rmse_matched_px"] == pytest.approx(0.0)
    assert m["per_node"]["d"] == {"rmse_px": None, "pck": 0.0}


def test_empty_frames_are_skipped_and_no_ground_truth_means_no_ap():
    empty = run([[], [animal(0, 0)]], [[], [animal(0, 0)]], [[], [0.9]])
    assert empty["n_frames"] == 1
    assert empty["map_oks"] == pytest.approx(1.0)
    only_ghosts = run([[]], [[animal(0, 0)]], [[0.9]])
    assert only_ghosts["map_oks"] is None
    assert only_ghosts["spurious_instances"] == 1


def test_instance_score_falls_back_to_mean_node_score_for_ranking():
    gt = [[animal(0, 0)], [animal(0, 0)]]
    pred_points = pad([[animal(300, 300)], [animal(0, 0)]], 1)
    gt_points = pad(gt, 1)
    vis = np.full((2, 1, 4), 2, np.int8)
    node_scores = np.array([[[0.1] * 4], [[0.9] * 4]], np.float32)
    m = evaluate(pred_points, node_scores, np.full((2, 1), np.nan), gt_points, vis, NODES)
    assert m["ap50"] == pytest.approx(51 / 101)  # the good one ranks first: precision 1 to recall 0.5


def test_max_dets_caps_predictions_per_frame():
    gt = [[animal(0, 0), animal(100, 0)]]
    m = run(gt, gt, [[0.9, 0.8]], max_dets=1)
    assert m["mar_oks"] == pytest.approx(0.5)
