"""Which frames to label next: score a video's frames and pick a diverse batch.

Flow:

1. :func:`score_frames` (in :mod:`ml_worker.frame_scores`) turns one video's
   predictions into raw per-frame sub-scores, each "higher = more worth labeling":

   - ``uncertainty``: half ``1 - mean peak score``, half the fraction of nodes
     below the confidence threshold (missing nodes);
   - ``disagreement``: spread of test-time-augmented predictions, in body
     lengths (:func:`ml_worker.tta.tta_predictions`: flip with left/right swap, small
     rotations and zooms about the animal, mapped back to the frame);
   - ``ensemble_disagreement``: spread of a committee of models, in body
     lengths (:func:`ml_worker.ensemble.ensemble_disagreement`: MC dropout
     passes of the instance net, plus other model versions when given);
   - ``pose_outlier``: Mahalanobis distance of the worst animal's confident
     nodes under a low-rank model of the labeled poses
     (:mod:`ml_worker.pose_pca`; needs a few labeled poses);
   - ``temporal``: median over nodes of the jump from the previous and to the
     next frame, in body lengths, averaged over the sides that exist (a one-frame
     glitch scores its full jump, its neighbours half); 0 without neighbours;
   - ``diversity``: distance, in feature space, to the nearest frame already
     labeled or already picked (computed during selection);
   - ``instance_count``: how much the number of animals found differs from the
     neighbouring frames' and from the project's expected count (only where
     there can be several animals);
   - ``swap_candidate`` and ``identity_disagreement`` (tracked runs): two tracks
     come close and separate (identities may switch there), or an identity
     model's probabilities prefer another track than the assigned one or barely
     decide; 0 on frames with nothing to fix.

   With several animals (``points (F, I, K, 2)``) uncertainty and jumps are
   measured per instance and a frame scores its worst animal; jumps follow each
   animal to its match in the neighbouring frame (same track, else the nearest).
   One animal, ``(F, K, 2)`` or ``(F, 1, K, 2)``, scores exactly as before.

2. :func:`rank_frames` rank-normalises each sub-score over the candidates to
   [0, 1] (so units do not matter), mixes them with weights, then picks frames
   greedily: each pick is the best combined score, where the diversity term is
   recomputed after every pick (k-center greedy on the features: distance to
   the nearest labeled frame or earlier pick, divided by the largest such
   distance — not ranked, so near-duplicates score about 0), skipping frames
   closer than ``min_gap`` to an earlier pick. Each :class:`Suggestion` says
   why, in words.

   With ``selection="clusters"`` (:mod:`ml_worker.coverage`) the batch first
   covers what no label covers: k-means on the features into ``labeled + n``
   clusters, one pick in each unlabeled cluster, largest first, the best mixed
   score among the cluster's typical half; the greedy loop picks any rest.

3. Frames that fix tracking come first. The identity sub-scores are mixed as they
   are, not ranked (their 0 must stay 0), and when some candidate has one (with a
   positive weight), those candidates score ``(1 + s) / 2`` and the others ``s / 2``
   for their mixed score ``s``: every such frame ranks above every other, and the
   score stays in [0, 1]. A proofreader labels the swaps before the rest.

Features are the pooled instance-bottleneck activations from
:func:`ml_worker.infer.predict_video` (``with_features=True``); without them
the pose itself, centred on the anchor and divided by the body size, stands in.
Body size is the median bounding-box diagonal of confident points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata

from ml_worker.coverage import Coverage, coverage
from ml_worker.frame_scores import (
    animal_size,
    count_scores,
    embed,
    frame_jumps,
    instance_jumps,
    instance_uncertainty,
    instances_found,
    score_frames,
    temporal_scores,
    uncertainty_scores,
    with_instances,
)
from ml_worker.infer import VideoPredictions
from ml_worker.pose_pca import PosePCA, fit_pose_pca
from ml_worker.tracking_scores import (
    IDENTITY_SUBSCORES,
    animal_name,
    identity_reasons,
    track_identity_scores,
)
from ml_worker.tta import TTAResult, tta_predictions

SUBSCORES = ("uncertainty", "disagreement", "temporal", "diversity", "instance_count",
             *IDENTITY_SUBSCORES, "pose_outlier", "ensemble_disagreement")  # fmt: skip
# Sub-scores only some predictions can give (their weight is 0 when they cannot).
OPTIONAL_SUBSCORES = ("disagreement", "instance_count", *IDENTITY_SUBSCORES, "pose_outlier",
                      "ensemble_disagreement")  # fmt: skip
# The signals that earned their place in ``make bench-al`` (README): heatmap
# uncertainty, TTA disagreement and pose outliers each reach random picking's
# accuracy with about half its labels alone on the open-field video, and these three,
# spread by clusters, need fewer labels than all six on both pools (19.1 vs 20.1 on
# the video, 34.7 vs 37.0 on the centered pair). Jumps between neighbouring frames,
# k-center diversity (the clusters spread a batch now) and the MC-dropout committee
# did not pay their way, so they are off by default (0) and a project can turn them
# on. The multi-animal and tracking signals stay on: they score only where there is
# something to fix, and these pools have nothing of the kind to measure them on.
DEFAULT_WEIGHTS: dict[str, float] = {
    **dict.fromkeys(SUBSCORES, 1.0),
    "temporal": 0.0,
    "diversity": 0.0,
    "ensemble_disagreement": 0.0,
}
SELECTIONS = ("greedy", "clusters")


def frame_coverage(preds: VideoPredictions, exclude: Iterable[int], n: int,
                   labeled_features: np.ndarray | None = None,
                   threshold: float = 0.4) -> Coverage | None:  # fmt: skip
    """The clusters of ``preds``' frames (features, else poses) that the labeled
    frames ``exclude`` (and ``labeled_features`` of other videos) leave uncovered."""
    emb, extra = embed(preds, threshold, labeled_features)
    labeled = np.isin(preds.frame_indices, list(exclude))
    return coverage(emb, labeled, n, extra)


@dataclass
class Suggestion:
    """One frame suggested for labeling.

    Attributes:
        frame_index: video frame index.
        score: combined score in [0, 1] when it was picked.
        subscores: sub-scores in [0, 1] (name -> value): ranks, and for
            ``diversity`` the max-normalised k-center distance.
        reasons: short human-readable reasons, most important first.
    """

    frame_index: int
    score: float
    subscores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def rank_normalise(values: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (ties share their mean rank; NaN ranks lowest; one value -> 1)."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=-np.inf)
    if len(v) <= 1:
        return np.ones(len(v))
    return (rankdata(v, method="average") - 1) / (len(v) - 1)


def rank_frames(
    preds: VideoPredictions,
    *,
    n: int,
    weights: Mapping[str, float] | None = None,
    exclude: Iterable[int] = (),
    candidates: Iterable[int] | None = None,
    min_gap: int = 0,
    disagreement: np.ndarray | None = None,
    labeled_features: np.ndarray | None = None,
    threshold: float = 0.4,
    expected_instances: int | None = None,
    identity_scores: np.ndarray | None = None,
    pose_model: PosePCA | None = None,
    ensemble_disagreement: np.ndarray | None = None,
    selection: str = "greedy",
    clusters: Coverage | None = None,
) -> list[Suggestion]:
    """Pick up to ``n`` frames to label: informative, and unlike each other and the labels.

    Args:
        preds: one video's predictions (rows sorted by frame index).
        n: number of suggestions wanted.
        weights: sub-score weights (keys from ``SUBSCORES``; missing keys are
            0); default all four at 1. ``disagreement`` counts only when given.
        exclude: frame indices already labeled: never suggested, and their
            features are centres for the diversity term.
        candidates: frame indices that may be suggested (default: all rows).
        min_gap: picks are at least this many frames apart.
        disagreement: ``(F,)`` TTA spread in body lengths, aligned with ``preds`` rows.
        labeled_features: ``(M, D)`` features of labeled frames from other videos.
        threshold: confidence below which a node counts as missing.
        expected_instances: animals a frame should hold (None: unknown).
        identity_scores: ``(F, I, T)`` identity probabilities, column ``t`` for track
            ``t`` (default: :func:`ml_worker.tracking_scores.track_identity_scores`).
        pose_model: low-rank model of the labeled poses
            (:func:`ml_worker.pose_pca.fit_pose_pca`); enables ``pose_outlier``.
        ensemble_disagreement: ``(F,)`` committee spread in body lengths
            (:func:`ml_worker.ensemble.ensemble_disagreement`), aligned with ``preds`` rows.
        selection: ``"greedy"`` (each pick the best mixed score, diversity as
            k-center distance) or ``"clusters"`` (first one pick in each of the
            largest clusters of frames no label covers, among its typical half,
            by the mixed score; :mod:`ml_worker.coverage`; then greedy).
        clusters: that clustering when the caller already made it (the worker's
            shortlist), else it is made here.

    Returns:
        Suggestions in pick order (best first).

    Raises:
        ValueError: unknown weight name, negative weight, or no positive weight.
    """
    if selection not in SELECTIONS:
        raise ValueError(f"selection: {selection!r}, use one of {SELECTIONS}")
    if identity_scores is None:
        identity_scores = track_identity_scores(preds)
    raw = score_frames(preds, disagreement, threshold, expected_instances, identity_scores,
                       pose_model=pose_model, ensemble_disagreement=ensemble_disagreement)  # fmt: skip
    w = _weights(weights, set(raw))
    excluded = {int(i) for i in exclude}
    fi = preds.frame_indices
    allowed = np.ones(len(fi), bool) if candidates is None else np.isin(fi, list(candidates))
    cand = np.flatnonzero(allowed & ~np.isin(fi, list(excluded)))
    if n <= 0 or len(cand) == 0:
        return []
    ranks = {k: _normalise(k, v[cand]) for k, v in raw.items() if w.get(k, 0) > 0}
    total = sum(w.values())
    static = sum((w[k] * r for k, r in ranks.items()), np.zeros(len(cand))) / total
    first = sum((ranks[k] > 0 for k in IDENTITY_SUBSCORES if k in ranks), np.zeros(len(cand))) > 0
    emb, mind = _initial_distances(preds, cand, excluded, labeled_features, threshold, w)
    has_labels = bool(np.isfinite(mind).any()) if mind is not None else False
    picks: list[Suggestion] = []
    open_ = np.ones(len(cand), bool)
    size = animal_size(preds.points, preds.scores, threshold)

    def take(j: int, score: float, sub: dict[str, float], lead: list[str]) -> None:
        nonlocal mind, open_
        row = int(cand[j])
        why = lead + identity_reasons(preds, with_instances(preds)[0], row, sub, identity_scores)
        why += _reasons(preds, row, sub, raw, size, threshold, has_labels, len(picks),
                        fallback=not why)  # fmt: skip
        picks.append(Suggestion(int(fi[row]), float(score), sub, why))
        open_ &= np.abs(fi[cand] - fi[row]) >= max(min_gap, 1)
        if mind is not None:
            mind = np.minimum(mind, np.linalg.norm(emb[cand] - emb[row], axis=1))

    if selection == "clusters" and not first.any():
        cov = clusters or frame_coverage(preds, excluded, n, labeled_features, threshold)
        for c in cov.uncovered if cov is not None else []:
            if len(picks) >= n:
                break
            mine = np.flatnonzero(open_ & (cov.labels[cand] == c))
            if len(mine) == 0:
                continue
            core = mine[cov.typical[cand[mine]]]
            core = core if len(core) else mine
            # The informativeness picks within the typical half; the most typical breaks ties.
            j = int(core[np.lexsort((cov.centre_distance[cand[core]], -static[core]))[0]])
            sub = {k: float(r[j]) for k, r in ranks.items()}
            sub["coverage"] = float(cov.sizes[c] / cov.sizes[cov.uncovered[0]])
            if mind is not None:  # the k-center distance too, as the greedy picks report it
                at = int(np.searchsorted(np.flatnonzero(open_), j))
                sub["diversity"] = float(_max_normalise(mind[open_])[at])
            lead = [f"typical of {int(cov.sizes[c])} similar frames with no label yet"]
            take(j, static[j], sub, lead)
    while len(picks) < n and open_.any():
        div = _max_normalise(mind[open_]) if mind is not None else None
        score = static[open_] + (w["diversity"] * div / total if div is not None else 0.0)
        if first.any():
            score = (score + first[open_]) / 2
        j_open = int(np.argmax(score))
        j = int(np.flatnonzero(open_)[j_open])
        sub = {k: float(r[j]) for k, r in ranks.items()}
        if div is not None:
            sub["diversity"] = float(div[j_open])
        take(j, score[j_open], sub, [])
    return picks


def _normalise(name: str, values: np.ndarray) -> np.ndarray:
    """Ranks in [0, 1]; the identity sub-scores as they are (their 0 means nothing to fix)."""
    if name in IDENTITY_SUBSCORES:
        return np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0)
    return rank_normalise(values)


def _max_normalise(distances: np.ndarray) -> np.ndarray:
    """Distances divided by their max (all 1 when every distance is inf or all are 0).

    Not ranks: near-duplicates of a labeled frame must score about 0, however
    many of them there are, or k-center greedy stops spreading the picks.
    """
    top = distances.max() if len(distances) else 0.0
    if not np.isfinite(top) or top <= 0:
        return np.ones(len(distances))
    return distances / top


def _weights(weights: Mapping[str, float] | None, available: set[str]) -> dict[str, float]:
    """Weights for every sub-score; those the predictions cannot give
    (``disagreement`` without TTA, ``instance_count`` for one animal, the identity
    ones without tracks or nothing to fix) are 0."""
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(w) - set(SUBSCORES))
    if unknown:
        raise ValueError(f"weights: unknown sub-score(s) {unknown}; use {list(SUBSCORES)}")
    if any(v < 0 for v in w.values()):
        raise ValueError(f"weights: must be >= 0, got {w}")
    w = {k: float(w.get(k, 0.0)) for k in SUBSCORES}
    for optional in OPTIONAL_SUBSCORES:
        if optional not in available:
            w[optional] = 0.0
    if sum(w.values()) <= 0:
        raise ValueError("weights: at least one usable sub-score needs a positive weight")
    return w


def _initial_distances(
    preds: VideoPredictions,
    cand: np.ndarray,
    excluded: set[int],
    labeled_features: np.ndarray | None,
    threshold: float,
    w: dict[str, float],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Embedding ``(F, E)`` and ``(C,)`` candidate distance to the nearest labeled frame.

    The distances are inf when nothing is labeled, None when diversity is off.
    """
    if w["diversity"] <= 0:
        return np.zeros((len(preds.frame_indices), 0)), None
    emb, extra = embed(preds, threshold, labeled_features)
    centres = [emb[np.isin(preds.frame_indices, list(excluded))]]
    if extra is not None:
        centres.append(extra)
    c = np.concatenate(centres)
    if len(c) == 0:
        return emb, np.full(len(cand), np.inf)
    d2 = (emb[cand] ** 2).sum(1)[:, None] - 2 * emb[cand] @ c.T + (c**2).sum(1)[None, :]
    return emb, np.sqrt(np.maximum(d2.min(axis=1), 0.0))


def _reasons(
    preds: VideoPredictions,
    row: int,
    sub: dict[str, float],
    raw: dict[str, np.ndarray],
    size: float,
    threshold: float,
    has_labels: bool,
    n_picked: int,
    *,
    fallback: bool = True,
) -> list[str]:
    """Short sentences for why frame ``row`` was picked, strongest sub-score first."""
    points, scores, tracks = with_instances(preds)
    names = preds.node_names or [f"node {k}" for k in range(scores.shape[-1])]
    found: list[tuple[float, str]] = []
    who, s = _worst_instance(preds, row, points[row], scores[row], threshold)
    low = [k for k in np.argsort(s) if s[k] < threshold][:2]
    for k in low:
        found.append(
            (sub.get("uncertainty", 0.5) + 0.01, f"low confidence on {names[k]}{who} ({s[k]:.2f})")
        )
    if not low and sub.get("uncertainty", 0) >= 0.8:
        found.append((sub["uncertainty"], f"low average confidence ({float(s.mean()):.2f})"))
    if sub.get("disagreement", 0) >= 0.7 and raw["disagreement"][row] >= 0.02:
        found.append(
            (
                sub["disagreement"],
                f"flipped/rotated views disagree by {raw['disagreement'][row]:.2f} body lengths",
            )
        )
    if sub.get("ensemble_disagreement", 0) >= 0.7 and raw["ensemble_disagreement"][row] >= 0.02:
        found.append((sub["ensemble_disagreement"],
                      f"model variants disagree by {raw['ensemble_disagreement'][row]:.2f} "
                      "body lengths"))  # fmt: skip
    if sub.get("pose_outlier", 0) >= 0.7 and raw["pose_outlier"][row] >= 2.0:
        found.append((sub["pose_outlier"],
                      f"pose unlike the labeled ones ({raw['pose_outlier'][row]:.1f}x "
                      "their usual spread)"))  # fmt: skip
    if sub.get("temporal", 0) >= 0.7:
        prev, nxt = frame_jumps(preds.points, preds.frame_indices, size, tracks)
        jp, jn = prev[row], nxt[row]
        if np.isfinite(jp) and jp >= 0.25 and not (np.isfinite(jn) and jn > jp):
            found.append((sub["temporal"], f"jump of {jp:.1f} body lengths from previous frame"))
        elif np.isfinite(jn) and jn >= 0.25:
            found.append((sub["temporal"], f"jump of {jn:.1f} body lengths to next frame"))
    if sub.get("instance_count", 0) >= 0.7 and raw["instance_count"][row] > 0:
        found.append((sub["instance_count"], _count_reason(preds, row, threshold)))
    if sub.get("diversity", 0) >= 0.5:
        text = (
            "far from frames already labeled"
            if has_labels
            else "unlike the other suggestions"
            if n_picked
            else "representative of the video"
        )
        found.append((sub["diversity"], text))
    if not found and fallback:
        best = max(sub, key=lambda k: sub[k]) if sub else "score"
        found.append((0.0, f"highest combined score (mostly {best})"))
    return [text for _, text in sorted(found, key=lambda t: -t[0])]


def _worst_instance(
    preds: VideoPredictions, row: int, points: np.ndarray, scores: np.ndarray, threshold: float
) -> tuple[str, np.ndarray]:
    """The most uncertain found instance of a frame: ``(" of <name>" or "", scores (K,))``.

    One instance slot names no animal, as before the instance axis."""
    if len(scores) == 1:
        return "", scores[0]
    present = np.flatnonzero(np.isfinite(points).all(axis=-1).any(axis=-1))
    if len(present) == 0:
        return "", scores[0]
    worst = int(present[np.argmax(instance_uncertainty(scores[present][None], threshold)[0])])
    return f" of {animal_name(preds, row, worst)}", scores[worst]


def _count_reason(preds: VideoPredictions, row: int, threshold: float) -> str:
    points, scores, _ = with_instances(preds)
    n = instances_found(points[row][None], scores[row][None], threshold)[0].sum()
    animals = f"{n} animal{'s' if n != 1 else ''} found"
    fi = preds.frame_indices
    for other, where in ((row - 1, "previous"), (row + 1, "next")):
        if 0 <= other < len(fi) and abs(int(fi[other]) - int(fi[row])) == 1:
            m = instances_found(points[other][None], scores[other][None], threshold)[0].sum()
            if m != n:
                return f"{animals}, {m} in the {where} frame"
    return f"{animals}, fewer or more than expected"


# Callers (inference_run, bench, tests) import the scores and TTA from here, as before the split.
__all__ = [
    "DEFAULT_WEIGHTS",
    "SUBSCORES",
    "Suggestion",
    "TTAResult",
    "animal_size",
    "count_scores",
    "embed",
    "fit_pose_pca",
    "frame_coverage",
    "frame_jumps",
    "instance_jumps",
    "instance_uncertainty",
    "instances_found",
    "rank_frames",
    "rank_normalise",
    "score_frames",
    "temporal_scores",
    "tta_predictions",
    "uncertainty_scores",
]
