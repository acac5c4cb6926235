"""Pools of the active-learning benchmark: frames to pick from, their reference labels, a test set.

Every pool is a single-animal :class:`ml_worker.dataset.PoseDataset` (what the
benchmark's ``fit`` and ``test_rmse`` train and score), a fixed test set, the
pool keys, and for each key a frame index for :func:`ml_worker.active_learning.rank_frames`
(neighbouring video frames of one animal differ by 1, so the temporal term
works; independent images are 1000 apart) and the crop's origin in the frame
(so the temporal term measures jumps in frame pixels, not crop pixels).

- ``openfield``: the 116 labeled DLC open-field frames (30 test, 86 pool).
- ``centered-pair``: SLEAP's predictions on its 1,100-frame two-fly video
  (``centered_pair_predictions.slp``, instances scoring under ``MIN_INSTANCE_SCORE``
  dropped) as reference labels; one ``CROP`` px crop per fly and frame (the
  single-animal path of ``bench/training.py``), centred on the fly with a small
  seeded jitter. The video is cut into ``BLOCK``-frame blocks; a seeded quarter
  of the blocks gives the test crops (``TEST_FRAMES`` frames, ``GAP`` frames
  away from any pool block); the other blocks are the pool (~1,600 crops).
- ``openfield-video``: frames of the open-field video ``m3v1mp4.mp4`` (a different
  recording from the labeled frames) labeled by a *reference model*. The data
  set ships no reference predictions for this video, so the benchmark trains
  one on all 116 labeled frames (``--reference-seconds``), predicts every
  ``--video-stride``-th frame, and keeps the frames whose every node scores at
  least ``REFERENCE_MIN_SCORE``. Its error is the students' distance to the
  teacher, not to people; cached in ``<out>/active_learning_reference.npz``.
  Same block split as the centered pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ml_worker.dataset import PoseDataset, PoseSample, load_dlc_labeled_folder, make_split

OPEN_FIELD = "openfield-Pranav-2018-10-30"
CENTERED_PAIR = "sleap-centered-pair"
POOLS = ("openfield", "centered-pair", "openfield-video")
MIN_INSTANCE_SCORE = 5.0
CROP, JITTER, BLOCK, GAP, TEST_FRAMES = 160, 8, 50, 5, 100
REFERENCE_MIN_SCORE = 0.8
VIDEO_TEST_FRAMES = 60
APP_MIN_GAP = 10  # ActiveLearningSettings.min_gap's default, in video frames
# Pool keys of one fly are ``FLY_STRIDE`` apart in frame index: its frames stay neighbours.
FLY_STRIDE = 100_000


@dataclass
class Pool:
    """One pool of the benchmark (see the module docstring)."""

    name: str
    dataset: PoseDataset
    test: list[str]
    pool: list[str]
    frame_index: dict[str, int]
    origin: dict[str, tuple[float, float]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # Picks this far apart in frame index (video pools: the app's default of 10 frames).
    min_gap: int = 0
    # The pool's video (what the app pretrains the encoder on); None for a labeled-frames pool.
    video: Path | None = None

    def __post_init__(self) -> None:
        self._images = {s.key: s.image for s in self.dataset.samples}

    def image(self, key: str) -> np.ndarray:
        """The (crop) image of ``key``."""
        return self._images[key]


def openfield(data: Path, test: list[str] | None, n_test: int, seed: int) -> Pool:
    """The labeled open-field frames; ``test`` (stored keys) or a seeded draw of ``n_test``."""
    ds = load_dlc_labeled_folder(data / OPEN_FIELD)
    if test is None:
        rng = np.random.default_rng(seed)
        test = sorted(rng.choice(sorted(ds.keys), n_test, replace=False).tolist())
    pool = sorted(set(ds.keys) - set(test))
    return Pool("openfield", ds, list(test), pool, {k: 1000 * i for i, k in enumerate(pool)},
                settings={"dataset": OPEN_FIELD, "labels": "people (DLC)"})  # fmt: skip


def block_split(frames: list[int], n_test: int, seed: int) -> tuple[list[int], list[int]]:
    """``(test, pool)`` video frames: a seeded quarter of ``BLOCK``-frame blocks tests
    (``n_test`` frames drawn from them, ``GAP`` frames away from pool blocks)."""
    rng = np.random.default_rng(seed)
    n_blocks = max(frames) // BLOCK + 1
    test_blocks = set(rng.permutation(n_blocks)[: max(1, n_blocks // 4)].tolist())
    pool = [f for f in frames if f // BLOCK not in test_blocks]
    pool_set = set(pool)
    candidates = [f for f in frames if f // BLOCK in test_blocks
                  and not any(g in pool_set for g in range(f - GAP, f + GAP + 1))]  # fmt: skip
    test = sorted(rng.choice(candidates, min(n_test, len(candidates)), replace=False).tolist())
    return test, pool


def centered_pair(data: Path, seed: int, max_pool_frames: int | None = None) -> Pool:
    """Fly crops of SLEAP's centered-pair predictions (see the module docstring)."""
    import sleap_io as sio

    from ml_worker.multi_data import load_slp_as_labels

    slp = data / CENTERED_PAIR / "centered_pair_predictions.slp"
    frames = sorted(lf.frame_idx for lf in sio.load_slp(str(slp)).labeled_frames)
    test_frames, pool_frames = block_split(frames, TEST_FRAMES, seed)
    if max_pool_frames:  # smoke runs: an evenly spaced part of the pool
        keep = np.linspace(0, len(pool_frames) - 1, min(max_pool_frames, len(pool_frames)))
        pool_frames = [pool_frames[i] for i in keep.astype(int)]
    labels = load_slp_as_labels(slp, frames=sorted(test_frames + pool_frames),
                                min_instance_score=MIN_INSTANCE_SCORE)  # fmt: skip
    tracks = sorted({t for ts in labels.tracks for t in ts if t is not None})
    samples, index, origin = [], {}, {}
    for image, points, names, frame in zip(labels.images, labels.points, labels.tracks,
                                           labels.frame_indices or [], strict=True):  # fmt: skip
        for slot, (pts, track) in enumerate(zip(points, names, strict=True)):
            if np.isfinite(pts).all(axis=-1).sum() < 3:
                continue
            fly = tracks.index(track) if track in tracks else slot
            key = f"frame{frame}/fly{fly}"
            if key in index:  # two instances on one track: keep the first
                continue
            crop, local, corner = _crop(image, pts, np.random.default_rng([seed, frame, fly]))
            samples.append(PoseSample.from_points(crop, local, key))
            index[key], origin[key] = fly * FLY_STRIDE + frame, corner
    ds = PoseDataset(samples, list(labels.node_names), list(labels.symmetries), list(labels.edges))
    test_set = set(test_frames)
    test = [k for k in ds.keys if _frame_of(k) in test_set]
    pool = sorted((k for k in ds.keys if _frame_of(k) not in test_set), key=index.__getitem__)
    return Pool("centered-pair", ds, test, pool, index, origin, min_gap=APP_MIN_GAP,
                video=data / CENTERED_PAIR / "centered_pair_low_quality.mp4", settings={
        "dataset": CENTERED_PAIR, "labels": f"SLEAP predictions, instance score >= "
        f"{MIN_INSTANCE_SCORE:g}", "unit": f"{CROP} px fly crops (one label = one fly)",
        "test_frames": len(test_frames), "pool_frames": len(pool_frames)})  # fmt: skip


def _frame_of(key: str) -> int:
    """The video frame of a video pool's key (``frame<i>`` or ``frame<i>/fly<n>``)."""
    return int(key.split("/")[0].removeprefix("frame"))


def _crop(image: np.ndarray, pts: np.ndarray,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:  # fmt: skip
    """A ``CROP`` px crop about the fly's centre (zero-padded), its local points, and
    the crop's top-left corner in frame pixels."""
    half = CROP // 2
    padded = np.pad(image, ((half, half), (half, half), (0, 0)))
    centre = np.round(np.nanmean(pts, axis=0) + rng.uniform(-JITTER, JITTER, 2)).astype(int)
    cx, cy = np.clip(centre, 0, [image.shape[1], image.shape[0]])
    crop = np.ascontiguousarray(padded[cy : cy + CROP, cx : cx + CROP])
    local = (pts - [cx - half, cy - half]).astype(np.float32)
    local[~((local >= 0) & (local < CROP)).all(axis=1)] = np.nan
    return crop, local, (float(cx - half), float(cy - half))


def openfield_video(data: Path, out: Path, seed: int, *, reference_seconds: float,
                    stride: int, train_fn: Any,
                    min_score: float = REFERENCE_MIN_SCORE,
                    reference_steps: int | None = None) -> Pool:  # fmt: skip
    """Video frames labeled by a reference model trained on all labeled frames.

    Args:
        data: the shared data folder.
        out: where the reference predictions are cached.
        seed: block split and reference training seed.
        reference_seconds: the reference model's training budget.
        stride: every ``stride``-th video frame is a candidate.
        train_fn: ``(dataset, split, seconds, seed) -> ModelArtifact``.
        min_score: a frame is kept when every node of the reference scores this much.
        reference_steps: the reference's budget in steps (``train_fn`` applies it); only
            recorded here, so the cache knows which reference it holds.
    """
    from ml_worker.infer import iter_frames

    video = data / OPEN_FIELD / "videos" / "m3v1mp4.mp4"
    cache = out / "active_learning_reference.npz"
    wanted = {"stride": stride, "seconds": reference_seconds, "seed": seed}
    if reference_steps:
        wanted = {"stride": stride, "steps": reference_steps, "seed": seed}
    frames = {i: img for i, img in iter_frames(video) if i % stride == 0}
    indices = sorted(frames)
    points = scores = None
    if cache.is_file():
        with np.load(cache) as z:
            if json.loads(str(z["settings"])) == wanted:
                points, scores = z["points"], z["scores"]
    if points is None:
        labeled = load_dlc_labeled_folder(data / OPEN_FIELD)
        split = make_split(labeled.keys, val_fraction=0.2, seed=seed)
        reference = train_fn(labeled, split, reference_seconds, seed)
        from ml_worker.artifacts import predict_frames

        p, s = predict_frames(reference, np.stack([frames[i] for i in indices]), device="cpu")
        points, scores = p[:, 0], s[:, 0]
        np.savez(cache, points=points, scores=scores, settings=np.array(json.dumps(wanted)))
    ok = (np.nan_to_num(scores) >= min_score).all(axis=1) & np.isfinite(points).all(axis=(1, 2))
    kept = [i for i, good in zip(indices, ok, strict=True) if good]
    samples = [PoseSample.from_points(frames[i], points[r], f"frame{i}")
               for r, i in enumerate(indices) if ok[r]]  # fmt: skip
    skeleton = load_dlc_labeled_folder(data / OPEN_FIELD)
    ds = PoseDataset(samples, list(skeleton.node_names), list(skeleton.symmetries),
                     list(skeleton.edges))  # fmt: skip
    test_frames, pool_frames = block_split(kept, VIDEO_TEST_FRAMES, seed)
    # Kept frames are ``stride`` apart: number them so that consecutive kept ones are neighbours.
    index = {f"frame{i}": i // stride for i in kept}
    return Pool(
        "openfield-video",
        ds,
        [f"frame{i}" for i in test_frames],
        [f"frame{i}" for i in pool_frames],
        index,
        min_gap=max(1, APP_MIN_GAP // stride),
        video=video,
        settings={
            "dataset": OPEN_FIELD,
            "video": video.name,
            "labels": "reference model ("
            + (f"{reference_steps} steps" if reference_steps else f"{reference_seconds:g} s")
            + " on all 116 labeled "
            f"frames), frames whose every node scores >= {min_score:g}",
            "stride": stride,
            "frames_kept": len(kept),
            "frames_decoded": len(indices),
        },
    )


def pretrain_frames(pool: Pool, count: int) -> tuple[list[int], list[np.ndarray]]:
    """``count`` evenly spaced frames of the pool's video, each more than ``BLOCK`` frames
    from every test frame: what the app's encoder pretraining samples from a project's
    video (read as its task reads them), without the test images (the encoder must not
    have seen them)."""
    from backend.videos.media import read_frames
    from ml_worker.infer import video_info

    assert pool.video is not None, f"{pool.name} has no video"
    tests = np.array(sorted({_frame_of(k) for k in pool.test}))
    far = [i for i in range(video_info(pool.video).frame_count)
           if not len(tests) or np.abs(tests - i).min() > BLOCK]  # fmt: skip
    pick = np.linspace(0, len(far) - 1, min(count, len(far))).round().astype(int)
    chosen = sorted({far[i] for i in pick.tolist()})
    return chosen, read_frames(pool.video, chosen)


def smoke_replace(pool: Pool, max_pool: int | None, max_test: int | None = None) -> Pool:
    """The pool and the test set cut to evenly spaced keys (smoke runs)."""
    return replace(pool, pool=_spaced(pool.pool, max_pool), test=_spaced(pool.test, max_test))


def _spaced(keys: list[str], limit: int | None) -> list[str]:
    if not limit or len(keys) <= limit:
        return keys
    return [keys[i] for i in np.linspace(0, len(keys) - 1, limit).astype(int)]
