from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from ml_worker.active_learning import rank_frames, rank_normalise
from ml_worker.artifacts import predict_frames
from ml_worker.frame_scores import animal_size, score_frames
from ml_worker.infer import VideoPredictions
from ml_worker.tracking_scores import track_identity_scores
from ml_worker.tta import tta_predictions
from tests.ml_worker.test_infer import random_artifact

NODES = ["snout", "leftear", "rightear", "tail_base"]


def smooth_predictions(n: int = 60, seed: int = 0, features: np.ndarray | None = None):
    """A mouse walking slowly to the right, confident everywhere: 40 px long."""
    rng = np.random.default_rng(seed)
    local = np.array([[20, 0], [8, -6], [8, 6], [-20, 0]], np.float32)
    anchors = np.stack([100 + np.arange(n) * 1.0, np.full(n, 120.0)], axis=1).astype(np.float32)
    points = local[None] + anchors[:, None] + rng.normal(0, 0.3, (n, 4, 2)).astype(np.float32)
    scores = (0.9 + rng.uniform(0, 0.05, (n, 4))).astype(np.float32)
    return VideoPredictions(
        points,
        scores,
        anchors,
        features,
        fps=30.0,
        frame_count=n,
        width=640,
        height=480,
        node_names=list(NODES),
    )


def test_low_confidence_frame_is_flagged_with_the_node_named():
    preds = smooth_predictions()
    preds.scores[20, 0, 3] = 0.21
    preds.scores[20, 0, 0] = 0.5
    (top,) = rank_frames(preds, n=1, weights={"uncertainty": 1.0})
    assert top.frame_index == 20
    assert top.reasons[0] == "low confidence on tail_base (0.21)"
    assert top.subscores["uncertainty"] == 1.0


def test_a_one_frame_jump_is_flagged_in_body_lengths():
    preds = smooth_predictions()
    preds.points[40] += np.array([80.0, 0.0])  # two body lengths (body ~ 41 px diagonal)
    raw = score_frames(preds)
    assert np.argmax(raw["temporal"]) == 40
    (top,) = rank_frames(preds, n=1, weights={"temporal": 1.0})
    assert top.frame_index == 40
    assert any(r.startswith("jump of 1.9 body lengths from previous frame") for r in top.reasons)


def test_temporal_is_neutral_where_frames_are_not_neighbours():
    preds = smooth_predictions(10)
    preds.frame_indices = np.arange(10) * 100
    preds.points[5] += 500
    assert (score_frames(preds)["temporal"] == 0).all()


def test_disagreement_scores_the_frame_the_views_disagree_on():
    preds = smooth_predictions()
    spread = np.full(len(preds), 0.01)
    spread[33] = 0.4
    (top,) = rank_frames(preds, n=1, weights={"disagreement": 1.0}, disagreement=spread)
    assert top.frame_index == 33
    assert "disagree by 0.40 body lengths" in top.reasons[0]


def test_a_duplicate_heavy_pool_gets_diversified():
    rng = np.random.default_rng(1)
    n = 60
    feats = np.repeat(rng.normal(0, 1, (1, 16)), n, axis=0) + rng.normal(0, 0.01, (n, 16))
    distinct = np.arange(0, n, 6)  # 10 frames that look different from everything else
    feats[distinct] = rng.normal(0, 1, (len(distinct), 16)) * 3
    preds = smooth_predictions(n, features=feats.astype(np.float16))
    preds.scores[np.setdiff1d(np.arange(n), distinct)] -= 0.2  # duplicates look more uncertain
    only_uncertain = rank_frames(preds, n=5, weights={"uncertainty": 1.0})
    diverse = rank_frames(preds, n=5, weights={"uncertainty": 1.0, "diversity": 1.0})
    assert not set(s.frame_index for s in only_uncertain) & set(distinct)
    duplicates = [s.frame_index for s in diverse if s.frame_index not in distinct]
    assert len(duplicates) <= 1
    assert all(s.reasons for s in diverse)


def test_far_from_labeled_frames_is_a_reason():
    n = 40
    feats = np.zeros((n, 8), np.float16)
    feats[20:, 0] = 5  # a second situation, nothing of it labeled
    preds = smooth_predictions(n, features=feats)
    picks = rank_frames(preds, n=1, weights={"diversity": 1.0}, exclude=set(range(0, 20)))
    assert picks[0].frame_index >= 20
    assert "far from frames already labeled" in picks[0].reasons


def test_exclude_candidates_and_min_gap_are_respected():
    preds = smooth_predictions(200)
    preds.scores[100:110, 0, 1] = 0.1
    weights = {"uncertainty": 1.0, "temporal": 1.0, "diversity": 1.0}
    picks = rank_frames(preds, n=8, weights=weights, exclude={100, 101, 102}, min_gap=15,
                        candidates=range(50, 200))  # fmt: skip
    frames = sorted(s.frame_index for s in picks)
    assert len(frames) == 8 and not {100, 101, 102} & set(frames)
    assert min(frames) >= 50 and np.diff(frames).min() >= 15
    assert all(0 <= s.score <= 1 and s.reasons for s in picks)
    assert set(picks[0].subscores) == {"uncertainty", "temporal", "diversity"}
    # the default weights: only the signals that earned their place (README, bench-al)
    default = rank_frames(preds, n=2, exclude={100, 101, 102}, min_gap=15)
    assert set(default[0].subscores) == {"uncertainty"}


def test_it_returns_fewer_when_the_gap_leaves_no_room():
    preds = smooth_predictions(30)
    preds.scores[0] = 0.1
    picks = rank_frames(preds, n=10, min_gap=20, weights={"uncertainty": 1.0})
    assert [s.frame_index for s in picks][0] == 0 and len(picks) == 2
    assert picks[1].frame_index >= 20


def test_it_rejects_unknown_weights():
    with pytest.raises(ValueError, match="confidence"):
        rank_frames(smooth_predictions(), n=1, weights={"confidence": 1.0})


def test_rank_normalise_maps_to_unit_interval_with_ties():
    np.testing.assert_allclose(rank_normalise(np.array([3.0, 1.0, 2.0, 2.0])), [1.0, 0.0, 0.5, 0.5])
    assert rank_normalise(np.array([np.nan, 0.0]))[0] == 0.0


def test_animal_size_ignores_low_confidence_points():
    preds = smooth_predictions()
    preds.points[:, 0, 0] += 1000
    preds.scores[:, 0, 0] = 0.0
    assert 25 < animal_size(preds.points, preds.scores) < 35  # ears to tail


class ColourOracle(nn.Module):
    """A 'model' that finds a pure red, green and blue blob: equivariant by construction."""

    geometry = SimpleNamespace(num_nodes=3)

    def forward(self, frames):
        x = frames.float()
        points, scores = [], []
        for c in range(3):
            others = x[..., [i for i in range(3) if i != c]].amax(-1)
            w = (x[..., c] - others).clamp(min=0)  # (N, H, W)
            ys, xs = torch.meshgrid(
                torch.arange(x.shape[1]), torch.arange(x.shape[2]), indexing="ij"
            )
            total = w.sum((1, 2)).clamp(min=1e-6)
            points.append(
                torch.stack([(w * xs).sum((1, 2)) / total, (w * ys).sum((1, 2)) / total], -1)
            )
            scores.append(torch.ones(len(x)))
        points = torch.stack(points, 1)
        return points, torch.stack(scores, 1), points.mean(1)


def blob_frames(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    h, w = 96, 128
    yy, xx = np.mgrid[0:h, 0:w]
    truth = np.array([[[50 + 4 * i, 40], [70 + 4 * i, 50], [60 + 4 * i, 62]] for i in range(n)])
    frames = np.zeros((n, h, w, 3))
    for i in range(n):
        for c in range(3):
            x, y = truth[i, c]
            frames[i, ..., c] += 255 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 18)
    return frames.clip(0, 255).astype(np.uint8), truth.astype(np.float32)


def test_tta_maps_every_variant_back_to_the_frame():
    frames, truth = blob_frames()
    tta = tta_predictions(ColourOracle(), frames, symmetries=[])
    assert tta.variants[:2] == ["identity", "flip"] and tta.points.shape == (6, 4, 3, 2)
    assert np.abs(tta.points - truth[None]).max() < 0.6
    assert tta.spread.shape == (4,) and (tta.spread < 0.02).all()


def test_tta_on_a_real_module_starts_with_the_plain_prediction():
    artifact = random_artifact()
    frames, _ = blob_frames(3)
    frames = frames[:, :64, :80].copy()
    tta = tta_predictions(artifact, frames, angles_deg=(10.0,), scales=())
    points, _ = predict_frames(artifact, frames, device="cpu")
    np.testing.assert_allclose(tta.points[0], points[:, 0], atol=1e-4)  # one animal: no slot axis
    assert tta.variants == ["identity", "flip", "rotate +10"]
    assert np.isfinite(tta.spread).all() and (tta.spread >= 0).all()


def test_suggestions_are_topped_up_when_the_gap_empties_the_tta_shortlist(monkeypatch):
    from ml_worker import inference_run

    preds = smooth_predictions()
    spread = np.zeros(len(preds))
    spread[[10, 11, 12]] = 1.0
    # TTA ran on three adjacent frames only: with a 5-frame gap one of them can be picked.
    monkeypatch.setattr(
        inference_run,
        "_disagreement",
        lambda *a, **k: {"disagreement": spread, "candidates": [10, 11, 12]},
    )
    weights = {"uncertainty": 1.0, "temporal": 1.0, "disagreement": 1.0, "diversity": 1.0}
    picks = inference_run.rank(
        preds, n=4, weights=weights, exclude={0}, min_gap=5, artifact=object(),
        video_path=Path("unused.mp4"), read_frames=lambda path, indices: [],
    )  # fmt: skip
    frames = sorted(p["frame_index"] for p in picks)
    assert len(frames) == 4 and len({10, 11, 12} & set(frames)) == 1
    assert 0 not in frames
    assert min(b - a for a, b in zip(frames, frames[1:], strict=False)) >= 5


def two_mice(n: int = 60, seed: int = 0, tracked: bool = True) -> SimpleNamespace:
    """Two mice walking apart, in slots whose order swaps every other frame."""
    one = smooth_predictions(n, seed)
    other = smooth_predictions(n, seed + 1)
    points = np.stack([one.points[:, 0], other.points[:, 0] + [0.0, 200.0]], axis=1)
    scores = np.stack([one.scores[:, 0], other.scores[:, 0]], axis=1)
    track_ids = np.tile([0, 1], (n, 1)).astype(np.int32)
    swap = np.arange(n) % 2 == 1
    points[swap], scores[swap], track_ids[swap] = (
        points[swap][:, ::-1], scores[swap][:, ::-1], track_ids[swap][:, ::-1]
    )
    return SimpleNamespace(
        points=points, scores=scores, anchors=points.mean(axis=2), features=None,
        frame_indices=np.arange(n), node_names=list(NODES),
        track_ids=track_ids if tracked else None, track_names=["mouse-a", "mouse-b"],
    )  # fmt: skip


def test_one_animal_with_an_instance_axis_ranks_exactly_as_without():
    flat = smooth_predictions(seed=3)
    flat.points[40] += 80.0
    flat.scores[20, 0, 2] = 0.1
    single = SimpleNamespace(
        points=flat.points[:, 0], scores=flat.scores[:, 0], anchors=flat.anchors[:, 0],
        features=None, frame_indices=flat.frame_indices, node_names=list(NODES),
    )  # fmt: skip
    for preds in (flat, single):
        assert "instance_count" not in score_frames(preds, expected_instances=1)
    a = rank_frames(flat, n=6, min_gap=2, expected_instances=1)
    b = rank_frames(single, n=6, min_gap=2)
    assert [(s.frame_index, s.score, s.reasons) for s in a] == [
        (s.frame_index, s.score, s.reasons) for s in b
    ]


@pytest.mark.parametrize("tracked", [True, False])
def test_swapped_slots_are_not_jumps_and_a_real_jump_is(tracked):
    preds = two_mice(tracked=tracked)
    assert score_frames(preds)["temporal"].max() < 0.1  # matched by track, or by distance
    row = int(np.flatnonzero(preds.track_ids[30] == 1)[0]) if tracked else 1
    preds.points[30, row] += 80.0
    (top,) = rank_frames(preds, n=1, weights={"temporal": 1.0})
    assert top.frame_index in (30, 31) and "jump" in top.reasons[0]


def test_the_least_confident_animal_makes_the_frame_uncertain_and_is_named():
    preds = two_mice()
    row = int(np.flatnonzero(preds.track_ids[20] == 1)[0])
    preds.scores[20, row, 3] = 0.12
    (top,) = rank_frames(preds, n=1, weights={"uncertainty": 1.0})
    assert top.frame_index == 20
    assert top.reasons[0] == "low confidence on tail_base of mouse-b (0.12)"


def test_an_animal_missing_from_a_frame_is_an_instance_count_reason():
    preds = two_mice()
    preds.points[25, 0], preds.scores[25, 0] = np.nan, 0.0
    raw = score_frames(preds, expected_instances=2)
    assert raw["instance_count"].argmax() == 25 and raw["instance_count"][24] == 0.5
    (top,) = rank_frames(preds, n=1, weights={"instance_count": 1.0}, expected_instances=2)
    assert top.frame_index == 25
    assert top.reasons[0] == "1 animal found, 2 in the previous frame"
    assert "instance_count" not in score_frames(two_mice(), expected_instances=2)


# --- identity: swap candidates and identity disagreements ---------------------------------


def crossing_mice(n: int = 60) -> SimpleNamespace:
    """mouse-a walks right, mouse-b left on the same line: they meet at frame 30 and part."""
    one, other = smooth_predictions(n, 0), smooth_predictions(n, 1)
    step = np.arange(n, dtype=np.float32)[:, None, None]
    a = one.points[:, 0] + step * [3.0, 0.0]  # x = 100 + 4 f
    b = other.points[:, 0] - step * [5.0, 0.0] + [240.0, 0.0]  # x = 340 - 4 f
    points = np.stack([a, b], axis=1)
    return SimpleNamespace(
        points=points, scores=np.stack([one.scores[:, 0], other.scores[:, 0]], axis=1),
        anchors=points.mean(axis=2), features=None, frame_indices=np.arange(n),
        node_names=list(NODES), track_ids=np.tile([0, 1], (n, 1)).astype(np.int32),
        track_names=["mouse-a", "mouse-b"],
    )  # fmt: skip


def confident_identities(preds: SimpleNamespace) -> np.ndarray:
    """``(F, I, 2)`` identity probabilities: 0.95 on each animal's assigned track."""
    return np.where(np.arange(2) == preds.track_ids[..., None], 0.95, 0.05)


def test_two_tracks_that_meet_and_part_make_one_swap_candidate_ranked_first():
    preds = crossing_mice()
    raw = score_frames(preds)
    assert np.flatnonzero(raw["swap_candidate"]).tolist() == [30]
    picks = rank_frames(preds, n=4, min_gap=5)
    assert picks[0].frame_index == 30
    assert picks[0].reasons[0] == (
        "mouse-a and mouse-b come close and separate: identities may switch here"
    )
    assert picks[0].subscores["swap_candidate"] == 1.0 and picks[0].score > 0.5
    assert all(p.score <= 0.5 and p.subscores["swap_candidate"] == 0 for p in picks[1:])
    assert "swap_candidate" not in score_frames(two_mice())  # 200 px apart all along
    untracked = crossing_mice()
    untracked.track_ids = None
    assert "swap_candidate" not in score_frames(untracked)


def test_frames_where_the_identity_model_disagrees_or_hesitates_come_first():
    preds = two_mice()
    ids = confident_identities(preds)
    slot_a = lambda f: int(np.flatnonzero(preds.track_ids[f] == 0)[0])  # noqa: E731
    ids[12, slot_a(12)] = [0.2, 0.8]  # mouse-a looks like mouse-b
    ids[40, slot_a(40)] = [0.52, 0.48]  # barely mouse-a
    raw = score_frames(preds, identity_scores=ids)
    np.testing.assert_allclose(raw["identity_disagreement"][[12, 40]], [0.8, 0.48])
    assert np.count_nonzero(raw["identity_disagreement"]) == 2
    first, second, third = rank_frames(preds, n=3, min_gap=3, identity_scores=ids)
    assert (first.frame_index, second.frame_index) == (12, 40) and third.score < 0.5
    assert first.reasons[0] == (
        "identity model says mouse-b for the animal tracked as mouse-a (0.80 vs 0.20)"
    )
    assert second.reasons[0] == "identity of mouse-a is uncertain (0.52, next 0.48)"
    # The predictions' own identity_scores are used when none are passed, their columns
    # matched to the tracks by name; a weight of 0 turns the priority off.
    preds.identity_scores, preds.identity_names = ids[..., ::-1], ["mouse-b", "mouse-a"]
    np.testing.assert_allclose(track_identity_scores(preds), ids)
    preds.identity_names = ["bird1", "bird2"]  # tracked without the identity model
    assert track_identity_scores(preds) is None
    preds.identity_names = ["mouse-b", "mouse-a"]
    preds.scores[50, 0, 3] = 0.1
    (top,) = rank_frames(preds, n=1, weights={"uncertainty": 1.0})
    assert top.frame_index == 50
    (top,) = rank_frames(preds, n=1, weights={"uncertainty": 1.0, "identity_disagreement": 1.0})
    assert top.frame_index == 12
    assert "identity_disagreement" not in score_frames(
        preds, identity_scores=confident_identities(preds)
    )


def test_the_tta_shortlist_always_holds_the_frames_that_fix_tracking():
    from ml_worker.inference_run import _shortlist

    preds = crossing_mice(600)  # they meet at frame 30 only
    # 100 frames with unsure, jumpy animals outrank it on every other sub-score.
    preds.scores[100:500:4], preds.points[100:500:4] = 0.2, preds.points[100:500:4] + 30.0
    assert np.flatnonzero(score_frames(preds)["swap_candidate"]).tolist() == [30]
    rows = _shortlist(preds, exclude=set(), n=1)
    assert len(rows) <= 101 and 30 in rows.tolist()
