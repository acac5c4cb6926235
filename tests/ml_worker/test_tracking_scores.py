"""The sub-scores that fix tracking, on hand-built arrays (ranking: test_active_learning)."""

import numpy as np

from ml_worker.tracking_scores import (
    identity_disagreement_scores,
    identity_margins,
    swap_candidate_scores,
)


def test_identity_margins_are_the_assigned_track_lead_over_the_best_other():
    ids = np.array([[[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.4, 0.35, 0.25], [0.3, 0.3, 0.4]]])
    tracks = np.array([[0, 0, 0, -1]])
    margins = identity_margins(ids, tracks)
    np.testing.assert_allclose(margins[0, :3], [0.8, -0.5, 0.05])
    assert np.isnan(margins[0, 3])  # untracked
    np.testing.assert_allclose(identity_disagreement_scores(ids, tracks), [0.75])  # (1 + 0.5) / 2


def test_a_swap_candidate_is_where_two_tracks_are_nearest_while_close():
    f = np.arange(20, dtype=np.float64)
    shape = np.array([[0.0, -8.0], [-5.0, 4.0], [5.0, 4.0]])  # 15.6 px across
    centres = np.stack(
        [np.stack([20 + 4 * f, 0 * f + 50], 1), np.stack([98 - 4 * f, 0 * f + 50], 1)], 1
    )
    points = centres[:, :, None, :] + shape
    tracks = np.tile([0, 1], (20, 1))
    assert np.flatnonzero(swap_candidate_scores(points, tracks, f.astype(int), 2)).tolist() == [10]
    far = points.copy()
    far[:, 1, :, 1] += 100.0  # the same walk, on another line
    assert not swap_candidate_scores(far, tracks, f.astype(int), 2).any()
