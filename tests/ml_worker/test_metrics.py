import numpy as np
import pytest

from ml_worker.metrics import compute_metrics

NAN = np.nan


def test_metrics_count_occluded_and_skip_absent_points():
    gt = np.array([[[0, 0], [10, 10], [NAN, NAN]], [[0, 0], [5, 5], [1, 1]]], float)
    pred = gt + np.array([[[3, 4], [0, 1], [0, 0]], [[0, 0], [6, 8], [100, 0]]])
    vis = np.array([[2, 1, 0], [2, 2, 0]])  # last column absent even where coordinates exist
    m = compute_metrics(pred, gt, vis, ["a", "b"], ["n0", "n1", "n2"])
    errors = np.array([5, 1, 0, 10])
    assert m["n_points"] == 4
    assert m["rmse_px"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert m["pck_2px"] == 0.5 and m["pck_5px"] == 0.75 and m["pck_10px"] == 1.0
    assert m["per_node_rmse_px"]["n0"] == pytest.approx(np.sqrt(12.5))
    assert m["per_node_rmse_px"]["n2"] is None
    assert m["frame_keys"] == ["a", "b"]


def test_missing_prediction_counts_as_a_miss():
    gt = np.zeros((1, 2, 2))
    pred = np.array([[[0, 0], [NAN, NAN]]])
    m = compute_metrics(pred, gt, np.full((1, 2), 2), ["a"], ["x", "y"])
    assert m["pck_10px"] == 0.5
