"""Proofreading edits on the identities of a predictions file, as pure functions.

An edit is a JSON-able dict ``{"op": name, ...}``; :func:`apply_edit` applies one
to :class:`TrackArrays` and returns the new arrays, the edit that undoes it and
the frame range it changed. Frames are video frame indices (the file's
``frame_indices``), tracks are names, an instance is a ``slot`` (column of the
``(F, I)`` arrays); :func:`resolve` turns the user's ``instance`` (its position
among the frame's found animals, as the predictions API lists them) into a slot.

Ops (``stop`` is exclusive; None: to the end of the video):

- ``swap {tracks: [a, b], start, stop}``: exchange two identities over a range;
- ``assign {frame, slot, track}``: give one instance another track (None: none);
- ``merge {track, into}``: track ``a`` becomes ``b``; refused where both are seen
  on one frame;
- ``split {track, frame, new_track?}``: from ``frame`` on, the track is a new one;
- ``rename {track, to}``: a new name for one identity;
- ``delete {frame, slot}``: the instance is removed (NaN points, no track);
- ``set_tracks {runs}`` and ``restore {...}``: the inverses of the above.

Invariant kept by every op: no two instances of one frame share a track. Names
no instance uses any more are dropped (ids renumbered), so exports never show an
empty identity. Inputs are never modified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

Edit = dict[str, Any]
USER_OPS = ("swap", "assign", "merge", "split", "rename", "delete")
MAX_TRACK_NAME = 100


class EditError(ValueError):
    """The edit cannot apply to these arrays; the message says why."""


@dataclass(frozen=True)
class TrackArrays:
    """What an edit reads and changes of a predictions file.

    Attributes:
        frame_indices: ``(F,)`` sorted video frame of each row.
        points: ``(F, I, K, 2)`` float32, NaN where absent or padding.
        scores: ``(F, I, K)`` node confidences.
        instance_scores: ``(F, I)`` animal confidences (NaN: unknown).
        track_ids: ``(F, I)`` int32 index into ``track_names``, -1 for none.
        track_names: the identities.
    """

    frame_indices: np.ndarray
    points: np.ndarray
    scores: np.ndarray
    instance_scores: np.ndarray
    track_ids: np.ndarray
    track_names: tuple[str, ...]

    @property
    def found(self) -> np.ndarray:
        """``(F, I)`` True where the slot holds an animal (any point)."""
        return np.isfinite(self.points).all(-1).any(-1)

    def rows(self, start: int, stop: int | None) -> slice:
        """Rows whose frame is in ``[start, stop)``."""
        lo = int(np.searchsorted(self.frame_indices, start))
        hi = len(self.frame_indices) if stop is None else int(np.searchsorted(self.frame_indices, stop))
        return slice(lo, max(lo, hi))

    def row(self, frame: int) -> int:
        r = int(np.searchsorted(self.frame_indices, frame))
        if r >= len(self.frame_indices) or self.frame_indices[r] != frame:
            raise EditError(f"Frame {frame} has no prediction.")
        return r

    def track_id(self, name: Any) -> int:
        if name not in self.track_names:
            raise EditError(f"There is no track {name!r}.")
        return self.track_names.index(name)

    def slot_of(self, frame: int, slot: Any) -> tuple[int, int]:
        """(row, slot) of an instance; an error unless the slot holds an animal."""
        r = self.row(frame)
        if not isinstance(slot, int) or not 0 <= slot < self.track_ids.shape[1] or not self.found[r, slot]:
            raise EditError(f"Frame {frame} has no instance in slot {slot!r}.")
        return r, slot


@dataclass(frozen=True)
class EditResult:
    arrays: TrackArrays
    inverse: Edit
    start: int  # first frame changed
    stop: int  # one past the last frame changed


def resolve(edit: Edit, arrays: TrackArrays) -> Edit:
    """``edit`` with ``instance`` (index among the frame's found animals) as a ``slot``."""
    if "instance" not in edit:
        if edit.get("op") in ("assign", "delete") and "slot" not in edit:
            raise EditError(f"{edit['op']} needs the frame and the instance.")
        return edit
    r = arrays.row(_int(edit, "frame"))
    slots = np.flatnonzero(arrays.found[r]).tolist()
    index = edit["instance"]
    if not isinstance(index, int) or not 0 <= index < len(slots):
        raise EditError(f"Frame {edit['frame']} has {len(slots)} instance(s); no instance {index!r}.")
    out = {k: v for k, v in edit.items() if k != "instance"}
    return {**out, "slot": slots[index]}


def apply_edit(arrays: TrackArrays, edit: Edit) -> EditResult:
    """Apply one edit (see the module docstring); raises :class:`EditError`."""
    op = edit.get("op")
    if op not in _OPS:
        raise EditError(f"Unknown edit {op!r}; use one of {', '.join(USER_OPS)}.")
    result = _OPS[op](arrays, edit)
    return replace(result, arrays=compact(result.arrays))


def frame_span(arrays: TrackArrays, changed: np.ndarray) -> tuple[int, int]:
    """First and one-past-last frame of the rows where ``changed (F, ...)`` holds."""
    rows = np.flatnonzero(changed.reshape(len(changed), -1).any(-1))
    if not len(rows):
        raise EditError("This edit changes nothing.")
    return int(arrays.frame_indices[rows[0]]), int(arrays.frame_indices[rows[-1]]) + 1


def compact(arrays: TrackArrays) -> TrackArrays:
    """Drop names no instance uses; ids renumbered in the names' order."""
    ids = arrays.track_ids
    used = np.zeros(len(arrays.track_names), bool)
    used[ids[ids >= 0]] = True
    if used.all():
        return arrays
    new_id = np.cumsum(used) - 1
    remapped = np.where(ids >= 0, new_id[np.maximum(ids, 0)], -1).astype(np.int32)
    names = tuple(n for n, keep in zip(arrays.track_names, used, strict=True) if keep)
    return replace(arrays, track_ids=remapped, track_names=names)


# --- the ops ------------------------------------------------------------------------


def swap(arrays: TrackArrays, edit: Edit) -> EditResult:
    tracks = edit.get("tracks")
    if not isinstance(tracks, list) or len(tracks) != 2 or tracks[0] == tracks[1]:
        raise EditError("swap needs two different tracks.")
    a, b = (arrays.track_id(t) for t in tracks)
    start, stop = _int(edit, "start"), _optional_int(edit, "stop")
    ids = arrays.track_ids.copy()
    rows = arrays.rows(start, stop)
    window = ids[rows]
    ids[rows] = np.where(window == a, b, np.where(window == b, a, window))
    first, last = frame_span(arrays, ids != arrays.track_ids)
    # Swapping twice is the identity, so the undo is the same swap over what changed.
    inverse = {"op": "swap", "tracks": [tracks[0], tracks[1]], "start": first, "stop": last}
    return EditResult(replace(arrays, track_ids=ids), inverse, first, last)


def assign(arrays: TrackArrays, edit: Edit) -> EditResult:
    frame = _int(edit, "frame")
    r, slot = arrays.slot_of(frame, edit.get("slot"))
    track = _track_name(edit.get("track"), "track", allow_none=True)
    old = arrays.track_ids[r, slot]
    arrays, new = _with_name(arrays, track)
    if new == old:
        raise EditError(f"The instance already has track {track!r}.")
    if new >= 0 and (arrays.track_ids[r] == new).any():
        raise EditError(
            f"Track {track!r} is already on another instance of frame {frame}; swap them instead."
        )
    ids = arrays.track_ids.copy()
    ids[r, slot] = new
    inverse = {"op": "assign", "frame": frame, "slot": slot, "track": _name(arrays, old)}
    return EditResult(replace(arrays, track_ids=ids), inverse, frame, frame + 1)


def merge(arrays: TrackArrays, edit: Edit) -> EditResult:
    a, b = arrays.track_id(edit.get("track")), arrays.track_id(edit.get("into"))
    if a == b:
        raise EditError("A track cannot be merged into itself.")
    ids = arrays.track_ids
    both = np.flatnonzero((ids == a).any(1) & (ids == b).any(1))
    if len(both):
        frames = ", ".join(str(int(f)) for f in arrays.frame_indices[both[:5]])
        raise EditError(
            f"Tracks {edit['track']!r} and {edit['into']!r} are both seen on frame(s) {frames}"
            f"{' …' if len(both) > 5 else ''}; split or reassign those first."
        )
    return _set_cells(arrays, ids == a, b)


def split(arrays: TrackArrays, edit: Edit) -> EditResult:
    t = arrays.track_id(edit.get("track"))
    frame = _int(edit, "frame")
    name = edit.get("new_track") or _free_name(arrays.track_names)
    name = _track_name(name, "new_track")
    if name in arrays.track_names:
        raise EditError(f"Track {name!r} exists already; merge or assign instead.")
    cells = np.zeros_like(arrays.track_ids, bool)
    cells[arrays.rows(frame, None)] = arrays.track_ids[arrays.rows(frame, None)] == t
    if not cells.any():
        raise EditError(f"Track {edit['track']!r} is not seen from frame {frame} on.")
    arrays, new = _with_name(arrays, name)
    return _set_cells(arrays, cells, new)


def rename(arrays: TrackArrays, edit: Edit) -> EditResult:
    t = arrays.track_id(edit.get("track"))
    to = _track_name(edit.get("to"), "to")
    if to in arrays.track_names:
        raise EditError(f"Track {to!r} exists already; merge the two tracks instead.")
    names = list(arrays.track_names)
    names[t] = to
    first, last = frame_span(arrays, arrays.track_ids == t)
    inverse = {"op": "rename", "track": to, "to": edit["track"]}
    return EditResult(replace(arrays, track_names=tuple(names)), inverse, first, last)


def delete(arrays: TrackArrays, edit: Edit) -> EditResult:
    frame = _int(edit, "frame")
    r, slot = arrays.slot_of(frame, edit.get("slot"))
    inverse = {
        "op": "restore", "frame": frame, "slot": slot,
        "track": _name(arrays, arrays.track_ids[r, slot]),
        "points": [_json_pair(p) for p in arrays.points[r, slot].tolist()],
        "scores": [_json_num(s) for s in arrays.scores[r, slot].tolist()],
        "instance_score": _json_num(float(arrays.instance_scores[r, slot])),
    }  # fmt: skip
    new = _copy_instances(arrays)
    new.points[r, slot], new.scores[r, slot] = np.nan, np.nan
    new.instance_scores[r, slot], new.track_ids[r, slot] = np.nan, -1
    return EditResult(new, inverse, frame, frame + 1)


def restore(arrays: TrackArrays, edit: Edit) -> EditResult:
    """Put a deleted instance back (the inverse of :func:`delete`)."""
    frame, slot = _int(edit, "frame"), edit.get("slot")
    r = arrays.row(frame)
    if not isinstance(slot, int) or not 0 <= slot < arrays.track_ids.shape[1] or arrays.found[r, slot]:
        raise EditError(f"Slot {slot!r} of frame {frame} is taken; the instance cannot come back.")
    arrays, t = _with_name(arrays, edit.get("track"))
    if t >= 0 and (arrays.track_ids[r] == t).any():
        raise EditError(f"Track {edit['track']!r} is on another instance of frame {frame} now.")
    new = _copy_instances(arrays)
    new.points[r, slot] = [[math.nan] * 2 if p is None else p for p in edit["points"]]
    new.scores[r, slot] = [math.nan if s is None else s for s in edit["scores"]]
    score = edit.get("instance_score")
    new.instance_scores[r, slot] = math.nan if score is None else score
    new.track_ids[r, slot] = t
    inverse = {"op": "delete", "frame": frame, "slot": slot}
    return EditResult(new, inverse, frame, frame + 1)


def set_tracks(arrays: TrackArrays, edit: Edit) -> EditResult:
    """``runs: [[start, stop, slot, track | None], ...]``: give those cells that track."""
    ids = arrays.track_ids.copy()
    for start, stop, slot, track in edit.get("runs", []):
        arrays, t = _with_name(arrays, track)
        ids[arrays.rows(start, stop), slot] = t
    changed = ids != arrays.track_ids
    first, last = frame_span(arrays, changed)
    inverse = {"op": "set_tracks", "runs": _runs(arrays, changed, arrays.track_ids)}
    return EditResult(replace(arrays, track_ids=ids), inverse, first, last)


_OPS = {"swap": swap, "assign": assign, "merge": merge, "split": split, "rename": rename,
        "delete": delete, "restore": restore, "set_tracks": set_tracks}  # fmt: skip


# --- helpers --------------------------------------------------------------------------


def _set_cells(arrays: TrackArrays, cells: np.ndarray, track: int) -> EditResult:
    """Give ``cells (F, I)`` track id ``track``; the inverse gives them their old ones back."""
    ids = np.where(cells, track, arrays.track_ids).astype(np.int32)
    first, last = frame_span(arrays, cells)
    inverse = {"op": "set_tracks", "runs": _runs(arrays, cells, arrays.track_ids)}
    return EditResult(replace(arrays, track_ids=ids), inverse, first, last)


def _runs(arrays: TrackArrays, cells: np.ndarray, ids: np.ndarray) -> list[list[Any]]:
    """Runs of consecutive rows of one slot with one id in ``ids``, where ``cells`` holds:
    ``[first_frame, last_frame + 1, slot, name | None]``."""
    out: list[list[Any]] = []
    frames = arrays.frame_indices
    for slot in range(cells.shape[1]):
        rows = np.flatnonzero(cells[:, slot])
        if not len(rows):
            continue
        values = ids[rows, slot]
        breaks = np.flatnonzero((np.diff(rows) != 1) | (np.diff(values) != 0)) + 1
        for run in np.split(np.arange(len(rows)), breaks):
            first, last = rows[run[0]], rows[run[-1]]
            out.append([int(frames[first]), int(frames[last]) + 1, slot,
                        _name(arrays, values[run[0]])])  # fmt: skip
    return out


def _with_name(arrays: TrackArrays, name: Any) -> tuple[TrackArrays, int]:
    """The arrays with ``name`` among the tracks (appended if new), and its id (-1: None)."""
    if name is None:
        return arrays, -1
    if name in arrays.track_names:
        return arrays, arrays.track_names.index(name)
    return replace(arrays, track_names=(*arrays.track_names, name)), len(arrays.track_names)


def _name(arrays: TrackArrays, track_id: Any) -> str | None:
    return None if track_id < 0 else arrays.track_names[int(track_id)]


def _free_name(names: tuple[str, ...]) -> str:
    n = len(names)
    while f"track_{n}" in names:
        n += 1
    return f"track_{n}"


def _copy_instances(arrays: TrackArrays) -> TrackArrays:
    return replace(arrays, points=arrays.points.copy(), scores=arrays.scores.copy(),
                   instance_scores=arrays.instance_scores.copy(),
                   track_ids=arrays.track_ids.copy())  # fmt: skip


def _track_name(value: Any, field: str, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TRACK_NAME:
        raise EditError(f"{field} must be a track name of 1 to {MAX_TRACK_NAME} characters.")
    return value


def _int(edit: Edit, field: str) -> int:
    value = edit.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EditError(f"{field} must be a frame index (a whole number >= 0).")
    return value


def _optional_int(edit: Edit, field: str) -> int | None:
    return None if edit.get(field) is None else _int(edit, field)


def _json_num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _json_pair(pair: list[float]) -> list[float] | None:
    return [float(pair[0]), float(pair[1])] if all(math.isfinite(v) for v in pair) else None
