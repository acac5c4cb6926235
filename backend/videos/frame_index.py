"""The frame index of a video: what sequential decoding yields, so random access can match it.

Frame ``i`` of a video is, by definition, the ``i``-th frame that decoding the file
from its start yields (``media.iter_frames``). Random access (seek to a keyframe,
decode forward) must give the very same pixels, and timestamps computed from the
frame rate cannot promise that: B-frames, open GOPs, AVI files whose timestamps
are decode order, dropped leading pictures, variable frame rates.

So the worker decodes each video once when it is processed and records, for every
frame it yields, its timestamp (pts) and whether the decoder flagged it as a
keyframe. Readers seek to the keyframe at or before the frame they want and check
every frame they decode against this list (``media.FrameReader``). The index is a
sidecar stored beside the video in media storage (key ``<video key>.frames.npz``), so
every machine reading the video from S3 finds it; a missing or stale one is rebuilt on
first use. A file that is not stored media (shared sample data) gets no sidecar: its
index is kept in memory.
"""

from __future__ import annotations

import bisect
import functools
import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from backend.common import storage

# Bump when the way the index is built changes: older sidecars are then rebuilt.
INDEX_VERSION = 1
NO_PTS = np.iinfo(np.int64).min


@dataclass(frozen=True)
class FrameIndex:
    """Timestamps and keyframes of the frames sequential decoding yields.

    Attributes:
        pts: (F,) int64, the pts of frame ``i`` (``NO_PTS`` where the decoder gave none).
        keyframes: (K,) int64, ascending indices of frames the decoder flagged as keyframes.
    """

    pts: np.ndarray
    keyframes: np.ndarray

    def __len__(self) -> int:
        return len(self.pts)

    @functools.cached_property
    def seekable(self) -> bool:
        """Every frame has a timestamp of its own, so a decoded frame can be recognised."""
        return (
            bool(len(self.pts))
            and NO_PTS not in self.pts
            and len(set(self.pts.tolist())) == len(self.pts)
        )

    @functools.cached_property
    def position(self) -> dict[int, int]:
        """pts → frame index."""
        return {int(p): i for i, p in enumerate(self.pts)}

    def checkpoint(self, index: int) -> int:
        """The last keyframe at or before ``index`` (0 when there is none)."""
        keys = self.keyframes.tolist()
        at = bisect.bisect_right(keys, index) - 1
        return keys[at] if at >= 0 else 0


def sidecar_path(video_path: Path) -> Path:
    return Path(video_path).with_name(Path(video_path).name + ".frames.npz")


def sidecar_key(video_key: str) -> str:
    return f"{video_key}.frames.npz"


def build(video_path: Path) -> FrameIndex:
    """Decode the whole video once (no colour conversion) and record every frame."""
    pts: list[int] = []
    keys: list[int] = []
    with av.open(str(video_path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            pts.append(NO_PTS if frame.pts is None else int(frame.pts))
            if frame.key_frame:
                keys.append(i)
    return FrameIndex(np.asarray(pts, np.int64), np.asarray(keys, np.int64))


def save(index: FrameIndex, video_path: Path) -> str:
    """Store the sidecar of the stored video at ``video_path`` (its file or cached copy).

    Raises OSError when the store cannot be written, ValueError for a file outside it.
    """
    key = _key_of(video_path)
    if key is None:
        raise ValueError(f"{video_path} is not stored media: it gets no sidecar")
    buffer = io.BytesIO()
    np.savez(
        buffer,
        version=INDEX_VERSION,
        size=Path(video_path).stat().st_size,
        pts=index.pts,
        keyframes=index.keyframes,
    )
    return storage.save_bytes(sidecar_key(key), buffer.getvalue())


def _load(video_path: Path) -> FrameIndex | None:
    """The sidecar's index, or None when it is absent, unreadable or made for another file."""
    key = _key_of(video_path)
    if key is None:
        return None
    try:
        with np.load(io.BytesIO(storage.read_bytes(sidecar_key(key)))) as data:
            if int(data["version"]) != INDEX_VERSION:
                return None
            if int(data["size"]) != Path(video_path).stat().st_size:
                return None
            return FrameIndex(data["pts"].astype(np.int64), data["keyframes"].astype(np.int64))
    except (OSError, KeyError, ValueError):
        return None


def _key_of(video_path: Path) -> str | None:
    """The media key of a stored video's local file; None for files that are not ours.

    Only stored videos get a sidecar: never write beside someone else's data.
    """
    try:
        key = storage.key_of(Path(video_path))
    except Exception:  # settings not configured (a script): be conservative
        return None
    return key


def build_and_save(video_path: Path) -> FrameIndex:
    index = build(video_path)
    if _key_of(video_path) is None:
        return index  # e.g. shared sample data: get() keeps its index in memory
    try:
        save(index, video_path)
    except OSError:
        pass  # read-only folder: get() keeps its index in memory
    return index


@functools.lru_cache(maxsize=64)
def _cached(path: str, size: int, mtime_ns: int) -> FrameIndex:
    index = _load(Path(path))
    return build_and_save(Path(path)) if index is None else index


def get(video_path: Path) -> FrameIndex:
    """The index of ``video_path``: from memory, from its sidecar, or built now."""
    stat = Path(video_path).stat()
    return _cached(str(Path(video_path).resolve()), stat.st_size, stat.st_mtime_ns)


def delete_stored(video_key: str) -> None:
    storage.delete(sidecar_key(video_key))
