"""Cluster-covering selection: one pick per unlabeled kind of frame, typical ones first."""

from pathlib import Path

import numpy as np
import pytest

from ml_worker.active_learning import frame_coverage, rank_frames
from ml_worker.coverage import coverage, shortlist_rows
from tests.ml_worker.test_active_learning import smooth_predictions

SIZES = (40, 15, 5)  # three kinds of frame, as many of each


def three_kinds(seed: int = 0):
    """60 frames of three looks (features far apart), a few odd frames inside the first kind."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (3, 16)) * 10
    kind = np.repeat(np.arange(3), SIZES)
    feats = centres[kind] + rng.normal(0, 0.5, (len(kind), 16))
    preds = smooth_predictions(len(kind), features=feats.astype(np.float16))
    preds.frame_indices = np.arange(len(kind)) * 10  # independent images, not neighbours
    return preds, kind


def test_clusters_cover_the_unlabeled_kinds_largest_first():
    preds, kind = three_kinds()
    preds.scores[[3, 5, 7]] -= 0.5  # the most uncertain frames are all of the labeled kind
    labeled = {0}
    greedy = rank_frames(preds, n=2, weights={"uncertainty": 1.0}, exclude=labeled)
    spread = rank_frames(preds, n=2, weights={"uncertainty": 1.0}, exclude=labeled,
                         selection="clusters")  # fmt: skip
    row = {int(f): i for i, f in enumerate(preds.frame_indices)}
    assert [kind[row[s.frame_index]] for s in greedy] == [0, 0]
    assert [kind[row[s.frame_index]] for s in spread] == [1, 2]
    assert spread[0].reasons[0] == "typical of 15 similar frames with no label yet"
    assert spread[0].subscores["coverage"] == 1.0 and spread[1].subscores["coverage"] == 5 / 15


def test_within_a_cluster_the_most_informative_typical_frame_is_picked():
    preds, kind = three_kinds()
    emb = preds.features.astype(np.float64)
    second = np.flatnonzero(kind == 1)
    centre = emb[second].mean(axis=0)
    by_distance = second[np.argsort(np.linalg.norm(emb[second] - centre, axis=1))]
    typical_unsure, odd_unsure = by_distance[2], by_distance[-1]
    preds.scores[typical_unsure] -= 0.3
    preds.scores[odd_unsure] -= 0.6  # more uncertain, but the least typical of its kind
    picks = rank_frames(preds, n=1, weights={"uncertainty": 1.0}, selection="clusters",
                        exclude=set(preds.frame_indices[kind == 0].tolist()))  # fmt: skip
    assert picks[0].frame_index == preds.frame_indices[typical_unsure]


def test_with_more_picks_than_kinds_the_rest_are_ranked_as_before():
    preds, kind = three_kinds()
    picks = rank_frames(preds, n=12, selection="clusters", exclude={0, 10},
                        weights={"uncertainty": 1.0, "diversity": 1.0})  # fmt: skip
    frames = [s.frame_index for s in picks]
    assert len(frames) == len(set(frames)) == 12 and not {0, 10} & set(frames)
    # k = 2 labels + 12 picks clusters: every kind, the unlabeled ones split further, is hit
    row = {int(f): i for i, f in enumerate(preds.frame_indices)}
    assert {kind[row[f]] for f in frames} == {0, 1, 2}


def test_the_clustering_is_deterministic_and_counts_other_videos_labels():
    preds, kind = three_kinds()
    a = frame_coverage(preds, {0}, 2)
    b = frame_coverage(preds, {0}, 2)
    assert a is not None and b is not None
    assert (a.labels == b.labels).all() and a.uncovered == b.uncovered
    assert len(a.uncovered) == 2 and a.sizes[a.uncovered[0]] == 15
    # a labeled frame of another video that looks like the second kind covers it
    other = preds.features[kind == 1][:1]
    c = frame_coverage(preds, {0}, 1, labeled_features=other)
    assert c is not None and [int(c.sizes[u]) for u in c.uncovered] == [5]


def test_too_few_rows_or_no_picks_give_no_clustering():
    assert coverage(np.zeros((1, 4)), np.zeros(1, bool), 3) is None
    assert coverage(np.zeros((10, 4)), np.zeros(10, bool), 0) is None


def test_the_shortlist_holds_typical_rows_of_the_uncovered_clusters_only():
    preds, kind = three_kinds()
    cov = frame_coverage(preds, {0}, 2)
    open_rows = np.arange(1, len(kind))
    rows = shortlist_rows(cov, open_rows, np.zeros(len(open_rows)), n=2, size=100)
    assert set(kind[rows].tolist()) == {1, 2}
    assert cov.typical[rows].all() and len(rows) == 8 + 3  # the closer halves of 15 and 5
    fewer = shortlist_rows(cov, open_rows, np.zeros(len(open_rows)), n=2, size=4)
    assert len(fewer) == 4 and set(kind[fewer].tolist()) == {1, 2}


def test_rank_with_clusters_shortlists_those_rows_for_tta(monkeypatch):
    from ml_worker import inference_run

    preds, kind = three_kinds()
    seen: dict[str, np.ndarray] = {}

    def fake_tta(_artifact, frames):
        seen["n"] = len(frames)
        return type("T", (), {"spread": np.linspace(0, 1, len(frames))})()

    monkeypatch.setattr("ml_worker.active_learning.tta_predictions", fake_tta)
    read = lambda _path, idx: [np.zeros((8, 8, 3), np.uint8) for _ in idx]  # noqa: E731
    picks = inference_run.rank(
        preds, n=2, weights={"uncertainty": 1.0, "disagreement": 1.0}, exclude={0},
        min_gap=0, artifact=object(), video_path=Path("v.mp4"), read_frames=read,
        selection="clusters",
    )  # fmt: skip
    row = {int(f): i for i, f in enumerate(preds.frame_indices)}
    assert [kind[row[p["frame_index"]]] for p in picks] == [1, 2]
    assert seen["n"] == 8 + 3  # the typical halves of the two unlabeled kinds, not 50 + 50 rows


def test_an_unknown_selection_is_refused():
    with pytest.raises(ValueError, match="selection"):
        rank_frames(smooth_predictions(), n=1, selection="best")
