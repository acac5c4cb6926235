"""Where to label next: clusters of the video's frames that no label covers yet.

With few labels the error a model makes on new frames is mostly the error on
the kinds of frames it has never seen, and the most informative single frames
(the most uncertain, the oddest) are often rare ones that teach little about
the rest. So a batch is spread over the video's *typical* frames first
(TypiClust, Hacohen et al. 2022, for the low-budget regime): k-means on the
frame features into ``labeled + n`` clusters; the clusters with no labeled
frame, largest first, each get one pick, taken among the cluster's typical half
(closest to its centre). Which frame of that half is picked is up to the
informativeness scores (:func:`ml_worker.active_learning.rank_frames`).

Deterministic: the same features, labels and ``n`` give the same clusters, so
the worker's TTA shortlist and the ranking agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Above this many frames k-means runs on a spread subsample (then every frame is
# assigned to its nearest centre): a long video's clustering stays about a second.
MAX_FIT_ROWS = 5000


@dataclass
class Coverage:
    """Frames grouped by look, and the groups no label covers.

    Attributes:
        labels: ``(F,)`` cluster of each row.
        typical: ``(F,)`` bool, the row is in the closer half of its cluster to
            the cluster's centre (at least the closest row of each cluster).
        centre_distance: ``(F,)`` distance of each row to its cluster's centre.
        uncovered: clusters holding no labeled frame, largest first.
        sizes: ``(k,)`` rows per cluster.
    """

    labels: np.ndarray
    typical: np.ndarray
    centre_distance: np.ndarray
    uncovered: list[int]
    sizes: np.ndarray


def coverage(
    emb: np.ndarray,
    labeled_rows: np.ndarray,
    n: int,
    extra: np.ndarray | None = None,
    seed: int = 0,
) -> Coverage | None:
    """Cluster the rows of ``emb`` into ``labeled + n`` groups and find the uncovered ones.

    Args:
        emb: ``(F, E)`` frame embedding (:func:`ml_worker.frame_scores.embed`).
        labeled_rows: ``(F,)`` bool, rows already labeled.
        n: picks wanted.
        extra: ``(M, E)`` embedded labeled frames outside ``emb`` (other videos):
            the clusters they fall in count as covered.
        seed: k-means seed.

    Returns:
        The clustering, or None when there are too few rows to cluster.
    """
    from sklearn.cluster import KMeans

    emb = np.asarray(emb, np.float64)
    f = len(emb)
    n_extra = 0 if extra is None else len(extra)
    k = min(f, int(labeled_rows.sum()) + n_extra + n)
    if n <= 0 or k < 2:
        return None
    fit_rows = np.linspace(0, f - 1, min(f, MAX_FIT_ROWS)).astype(int)
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(emb[fit_rows])
    labels = km.predict(emb) if len(fit_rows) < f else km.labels_
    dist = np.linalg.norm(emb - km.cluster_centers_[labels], axis=1)
    sizes = np.bincount(labels, minlength=k)
    typical = np.zeros(f, bool)
    for c in np.flatnonzero(sizes):
        rows = np.flatnonzero(labels == c)
        typical[rows[dist[rows] <= np.median(dist[rows])]] = True
    covered = set(labels[labeled_rows].tolist())
    if n_extra:
        covered |= set(km.predict(np.asarray(extra, np.float64)).tolist())
    uncovered = [int(c) for c in np.argsort(-sizes, kind="stable") if c not in covered and sizes[c]]
    return Coverage(labels, typical, dist, uncovered, sizes)


def shortlist_rows(cov: Coverage, open_rows: np.ndarray, static: np.ndarray, n: int,
                   size: int) -> np.ndarray:  # fmt: skip
    """About ``size`` rows for a closer (costly) look: the typical open rows of the
    ``2 n`` largest uncovered clusters, each cluster's best by ``static`` first.

    Args:
        cov: the clustering.
        open_rows: rows that may be picked.
        static: ``(len(open_rows),)`` informativeness of those rows (higher first).
        n: picks wanted.
        size: rows wanted in all.
    """
    clusters = cov.uncovered[: 2 * max(n, 1)]
    if not clusters:
        return np.zeros(0, int)
    quota = max(1, size // len(clusters))
    out: list[np.ndarray] = []
    for c in clusters:
        mine = np.flatnonzero((cov.labels[open_rows] == c) & cov.typical[open_rows])
        out.append(open_rows[mine[np.argsort(-static[mine], kind="stable")[:quota]]])
    return np.unique(np.concatenate(out))
