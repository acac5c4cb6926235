"""The tracks of a run as a proofreader navigates them: one row per track, the
suspicious spots in frame order, the tracks version edits are based on, who holds
which frames, and what the caller can undo (``ml_worker.tracking.timeline``)."""

from __future__ import annotations

from typing import Any

from backend.common import storage
from backend.inference.models import InferenceRun, TrackEdit
from backend.inference.predictions import arrays_for
from backend.inference.proofread_locks import live_locks, lock_to_dict
from ml_worker.tracking.timeline import LOW_SCORE, confidence, suspicious, timeline

MAX_SUSPICIOUS = 2000
CACHED_FILES = 8
# A predictions file (key and ETag) -> its rows and spots: finding the spots of an hour of
# video takes about a second, and the timeline is asked for after every edit.
_cache: dict[tuple[str, str, float], dict[str, Any]] = {}


def _rows_and_spots(run: InferenceRun, low_score: float) -> dict[str, Any]:
    arrays = arrays_for(run)  # 404 while the run has no file; cached by the predictions module
    key = (run.predictions_file, storage.etag(run.predictions_file), low_score)
    if key not in _cache:
        frames, ids = arrays["frame_indices"], arrays["track_ids"]
        names = arrays["meta"]["track_names"]
        scores = confidence(arrays["scores"], arrays["instance_scores"])
        if len(_cache) >= CACHED_FILES:
            _cache.pop(next(iter(_cache)), None)
        _cache[key] = {
            "frames": [int(frames[0]), int(frames[-1]) + 1] if len(frames) else [0, 0],
            "tracks": timeline(ids, scores, frames, names, low_score=low_score),
            "spots": suspicious(arrays["points"], ids, frames, names),
        }
    return _cache[key]


def tracks_timeline(*, run: InferenceRun, user: Any, low_score: float = LOW_SCORE) -> dict[str, Any]:
    """``{version, frames, tracks, suspicious, suspicious_total, locks, can_undo}``."""
    computed = _rows_and_spots(run, low_score)
    spots = computed["spots"]
    return {
        "version": run.tracks_version,  # the same row as the file read: they always match
        "frames": computed["frames"],
        "low_score": low_score,
        "tracks": computed["tracks"],
        "suspicious": spots[:MAX_SUSPICIOUS],
        "suspicious_total": len(spots),
        "locks": [lock_to_dict(lock) for lock in live_locks(run).order_by("start")],
        "can_undo": TrackEdit.objects.filter(
            run=run, user=user, undoes__isnull=True, undone_by__isnull=True
        ).exists(),
    }
