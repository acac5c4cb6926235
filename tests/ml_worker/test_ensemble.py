from pathlib import Path

import numpy as np
import pytest

from ml_worker.ensemble import committee_spread, ensemble_disagreement
from tests.ml_worker.test_active_learning import blob_frames, smooth_predictions
from tests.ml_worker.test_infer import random_artifact


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return blob_frames(3)[0][:, :64, :80].copy()


def test_the_same_seed_gives_the_same_committee_and_another_seed_another(frames):
    artifact = random_artifact()
    a = ensemble_disagreement(artifact, frames, passes=3, seed=7)
    b = ensemble_disagreement(artifact, frames, passes=3, seed=7)
    c = ensemble_disagreement(artifact, frames, passes=3, seed=8)
    assert a.points.shape == (3, 3, 4, 2)
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.spread, b.spread)
    assert not np.array_equal(a.points, c.points)
    assert (a.spread > 0).all()


def test_without_dropout_the_passes_agree(frames):
    result = ensemble_disagreement(random_artifact(), frames, passes=3, p=0.0)
    assert (result.spread == 0).all()


def test_another_model_version_is_a_member(frames):
    same = ensemble_disagreement(random_artifact(0), frames, passes=0, others=[random_artifact(0)])
    other = ensemble_disagreement(random_artifact(0), frames, passes=0, others=[random_artifact(1)])
    assert same.points.shape[0] == 2 and (same.spread == 0).all()
    assert (other.spread > 0).all()
    with pytest.raises(ValueError, match="at least 2 members"):
        ensemble_disagreement(random_artifact(), frames, passes=0)


def test_committee_spread_is_the_mean_node_distance_to_the_median_in_body_lengths():
    base = np.zeros((1, 2, 2))  # one frame, two nodes
    members = np.stack([base, base, base + [[[0, 0], [6, 8]]]])  # one member 10 px off on node 1
    # median = base; node distances 0 and 10/3 on average over members; mean over nodes 5/3
    np.testing.assert_allclose(committee_spread(members, size=10.0), [5 / 3 / 10])
    two_animals = np.stack([np.stack([base, base + 100]), np.stack([base, base + 100])], axis=0)
    two_animals = two_animals.transpose(0, 2, 1, 3, 4)  # (M, N, I, K, 2)
    two_animals[1, 0, 1, 1] += [30, 40]
    np.testing.assert_allclose(committee_spread(two_animals, size=50.0), [25 / 2 / 50])


def test_the_app_ranks_the_committee_on_its_shortlist_only(frames):
    from ml_worker import inference_run

    preds = smooth_predictions(n=3)
    preds.points[:] = np.nan_to_num(preds.points)
    out = inference_run._disagreement(
        preds, random_artifact(), Path("unused.mp4"), set(), 1,
        lambda _path, indices: [frames[i] for i in indices],
        {"ensemble_disagreement": 1.0},
    )  # fmt: skip
    assert "disagreement" not in out and out["candidates"] == [0, 1, 2]
    assert out["ensemble_disagreement"].shape == (3,) and (out["ensemble_disagreement"] > 0).all()
