"""Proofreading a run's tracks: edits with versions, undo, and the timeline to navigate by.

An edit (``ml_worker.tracking.edits``: swap, assign, merge, split, rename,
delete) is applied to the run's predictions file itself, not kept as an overlay
applied at read time: the npz stays the one truth that the predictions API,
the exports, re-tracking and the worker read, none of which need to know about
edits. The cost is one read and one write of the file per edit (and of the
smoothed copy, whose identities follow the raw file's).

Flow of :func:`track_edit_apply` (the same for :func:`track_edit_undo`):

1. read the run's current files (version ``v``), apply the edit, check the frames
   it changed against other people's range locks and against the edits made
   since the version the user saw (``based_on``): only an edit that changed
   some of the same frames, or a re-tracking, makes it stale (409), so people
   proofreading different parts of a video never conflict;
2. write the new files under new keys (outside any transaction: no lock is held
   while files are written);
3. in one transaction, ``UPDATE run SET tracks_version = v + 1, files = new WHERE
   tracks_version = v``; if someone else's edit got in first, delete the new files
   and go back to 1 on top of theirs. The old files and the cached exports go once
   that commits, as after a re-tracking.

Undo applies the stored inverse of the user's latest edit not yet undone, as a
new edit, unless someone changed the same frames since (409).
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction

from backend.common import storage
from backend.common.exceptions import ApplicationError, ConflictError
from backend.inference.models import InferenceRun, RetrackJob, TrackEdit
from backend.inference.proofread_locks import check_no_lock
from ml_worker.tracking.edits import (
    USER_OPS,
    EditError,
    EditResult,
    TrackArrays,
    apply_edit,
    resolve,
)

FILES = ("predictions_file", "smoothed_file")
MAX_ATTEMPTS = 5
Edit = dict[str, Any]
OpFor = Callable[[str, TrackArrays], Edit]


@dataclass(frozen=True)
class _Applied:
    """One file's edit: its arrays as stored, the edit applied and what came out."""

    stored: dict[str, np.ndarray]
    edit: Edit
    result: EditResult


def edit_to_dict(edit: TrackEdit) -> dict[str, Any]:
    return {
        "id": edit.id,
        "version": edit.version,
        "user": edit.user.username if edit.user else None,
        "op": edit.op,
        "start": edit.start,
        "stop": edit.stop,
        "undoes": edit.undoes_id,
        "undone": hasattr(edit, "undone_by"),
        "created_at": edit.created_at.isoformat(),
    }


def track_edit_apply(*, run: InferenceRun, user: Any, op: Edit, version: int) -> TrackEdit:
    """Apply one proofreading edit made on tracks ``version``; 409 if it went stale."""
    if not isinstance(op, dict) or op.get("op") not in USER_OPS:
        raise ApplicationError(f"op must be one of {', '.join(USER_OPS)}.")
    resolved: dict[str, Edit] = {}

    def op_for(field: str, arrays: TrackArrays) -> Edit:
        if not resolved:  # the raw file comes first: its instances name the slot
            resolved["op"] = resolve(op, arrays)
        return resolved["op"]

    def check(current: InferenceRun, start: int, stop: int) -> None:
        _check_not_stale(current, version, start, stop)

    return _commit(run, user, op_for, check, undoes=None)


def track_edit_undo(*, run: InferenceRun, user: Any) -> TrackEdit:
    """Undo ``user``'s latest edit of this run not undone yet, as a new edit."""
    target = (
        TrackEdit.objects.filter(run=run, user=user, undoes__isnull=True, undone_by__isnull=True)
        .order_by("-version")
        .first()
    )
    if target is None:
        raise ApplicationError("You have no edit of this run left to undo.")

    def op_for(field: str, arrays: TrackArrays) -> Edit:
        return target.inverse.get(field) or target.inverse["predictions_file"]

    def check(current: InferenceRun, start: int, stop: int) -> None:
        _check_undoable(current, target)

    return _commit(run, user, op_for, check, undoes=target)


def _commit(
    run: InferenceRun,
    user: Any,
    op_for: OpFor,
    check: Callable[[InferenceRun, int, int], None],
    *,
    undoes: TrackEdit | None,
) -> TrackEdit:
    for _ in range(MAX_ATTEMPTS):
        current = InferenceRun.objects.get(pk=run.pk)
        _check_editable(current)
        applied = _apply_files(current, op_for)
        start = min(a.result.start for a in applied.values())
        stop = max(a.result.stop for a in applied.values())
        check_no_lock(run=current, user=user, start=start, stop=stop)
        check(current, start, stop)
        written = _write(current, applied)
        try:
            edit = _publish(current, user, applied, written, start, stop, undoes)
        except BaseException:
            _delete(written.values())
            raise
        if edit is not None:
            run.tracks_version = edit.version
            return edit
        _delete(written.values())  # someone else's edit got in first: again, on top of it
    raise ConflictError("Many people are editing these tracks right now; try again.")


def _check_editable(run: InferenceRun) -> None:
    if run.status != InferenceRun.Status.SUCCEEDED or not run.predictions_file:
        raise ApplicationError("Only the tracks of a run that succeeded can be edited.")
    active = (RetrackJob.Status.QUEUED, RetrackJob.Status.RUNNING)
    if run.retrack_jobs.filter(status__in=active).exists():
        raise ConflictError("This run is being re-tracked; edit its tracks once that finishes.")


def _apply_files(run: InferenceRun, op_for: OpFor) -> dict[str, _Applied]:
    """The edit applied to each of the run's files (raw first), by file field."""
    applied = {}
    for field in FILES:
        key = getattr(run, field)
        if not key:
            continue
        stored = _load(key)
        arrays = _track_arrays(stored)
        try:
            edit = op_for(field, arrays)
            applied[field] = _Applied(stored, edit, apply_edit(arrays, edit))
        except EditError as exc:
            raise ApplicationError(str(exc)) from None
    return applied


def _check_not_stale(run: InferenceRun, based_on: int, start: int, stop: int) -> None:
    """409 when the tracks changed since ``based_on`` on any of the frames [start, stop)."""
    now = run.tracks_version
    if based_on > now:
        raise ApplicationError(f"version {based_on} is newer than the tracks (version {now}).")
    # Only the edits up to the version read: one published since then is someone else's
    # concurrent edit, which _publish's compare-and-swap catches (and _commit retries on top of).
    since = TrackEdit.objects.filter(
        run=run, version__gt=based_on, version__lte=now
    ).select_related("user")
    if since.count() != now - based_on:
        raise ConflictError(
            "This run was re-tracked since you loaded its tracks; reload them.", {"version": now}
        )
    clash = since.filter(start__lt=stop, stop__gt=start).order_by("-version").first()
    if clash is not None:
        who = clash.user.username if clash.user else "someone"
        raise ConflictError(
            f"{who} changed frames {clash.start}–{clash.stop - 1} since you loaded the tracks "
            f"(your version {based_on}, current {now}); reload and edit again.",
            {"version": now, "edit": edit_to_dict(clash)},
        )


def _check_undoable(run: InferenceRun, target: TrackEdit) -> None:
    """409 unless every later change to the target's frames was itself undone."""
    if TrackEdit.objects.filter(undoes=target).exists():
        raise ConflictError("This edit was undone a moment ago.", {"version": run.tracks_version})
    later = list(
        TrackEdit.objects.filter(
            run=run, version__gt=target.version, version__lte=run.tracks_version
        ).select_related("user")
    )
    if len(later) != run.tracks_version - target.version:
        raise ConflictError("The run was re-tracked since this edit; it cannot be undone.")
    ids = {e.id for e in later}
    cancelled = {e.id for e in later if e.undoes_id in ids} | {
        e.undoes_id for e in later if e.undoes_id in ids
    }
    overlapping = [
        e for e in later
        if e.id not in cancelled and e.start < target.stop and target.start < e.stop
    ]  # fmt: skip
    if overlapping:
        who = overlapping[-1].user.username if overlapping[-1].user else "someone"
        raise ConflictError(
            f"{who} changed frames {overlapping[-1].start}–{overlapping[-1].stop - 1} after "
            "your edit; undoing it would undo theirs. Edit those frames by hand instead.",
            {"version": run.tracks_version, "edit": edit_to_dict(overlapping[-1])},
        )


def _publish(
    run: InferenceRun,
    user: Any,
    applied: dict[str, _Applied],
    written: dict[str, str],
    start: int,
    stop: int,
    undoes: TrackEdit | None,
) -> TrackEdit | None:
    """Swap the run's files if its tracks are still at the version read; None if not."""
    version = run.tracks_version
    with transaction.atomic():
        swapped = InferenceRun.objects.filter(
            pk=run.pk, tracks_version=version, predictions_file=run.predictions_file
        ).update(tracks_version=version + 1, **written)
        if not swapped:
            return None
        # A lock taken since the first check (rare) wins: this raises and rolls back.
        check_no_lock(run=run, user=user, start=start, stop=stop)
        edit = TrackEdit.objects.create(
            run=run, user=user, version=version + 1, op=applied["predictions_file"].edit,
            inverse={field: applied[field].result.inverse for field in written},
            start=start, stop=stop, undoes=undoes, file_after=written["predictions_file"],
        )  # fmt: skip
        old = [getattr(run, field) for field in written]
        exports = f"{_run_prefix(run)}/exports"
        transaction.on_commit(lambda: _delete(old, exports))
    return edit


# --- files ------------------------------------------------------------------------------


def _load(key: str) -> dict[str, np.ndarray]:
    with np.load(storage.local_path(key), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _track_arrays(stored: dict[str, np.ndarray]) -> TrackArrays:
    """The file's arrays with an instance axis (files from before it read as I = 1)."""
    points, scores = stored["points"], stored["scores"]
    if points.ndim == 3:
        points, scores = points[:, None], scores[:, None]
    shape = points.shape[:2]
    instance = stored.get("instance_scores", np.full(shape, np.nan, np.float32))
    ids = stored.get("track_ids", np.full(shape, -1, np.int32))
    meta = json.loads(str(stored["meta"]))
    return TrackArrays(
        frame_indices=stored["frame_indices"], points=points, scores=scores,
        instance_scores=np.asarray(instance, np.float32).reshape(shape),
        track_ids=np.asarray(ids, np.int32).reshape(shape),
        track_names=tuple(meta.get("track_names", [])),
    )  # fmt: skip


def _file_arrays(applied: _Applied) -> dict[str, np.ndarray]:
    """The file's arrays with the edited ones, each in the shape the file had."""
    stored, arrays = applied.stored, applied.result.arrays
    out = dict(stored)
    out["points"] = arrays.points.reshape(stored["points"].shape)
    out["scores"] = arrays.scores.reshape(stored["scores"].shape)
    out["instance_scores"] = arrays.instance_scores
    out["track_ids"] = arrays.track_ids
    meta = json.loads(str(stored["meta"]))
    meta["track_names"] = list(arrays.track_names)
    out["meta"] = np.array(json.dumps(meta))
    return out


def _write(run: InferenceRun, applied: dict[str, _Applied]) -> dict[str, str]:
    """Store each edited file under a new key; returns field -> key."""
    token = f"t{run.tracks_version + 1}-{secrets.token_hex(4)}"  # concurrent attempts never clash
    stems = {"predictions_file": "predictions", "smoothed_file": "smoothed"}
    written: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="poseforge-tracks-") as tmp:
        for field, one in applied.items():
            path = Path(tmp) / f"{field}.npz"
            with open(path, "wb") as fh:  # a file object: np.savez would append ".npz" to a name
                np.savez(fh, **_file_arrays(one))
            written[field] = storage.save_file(
                f"{_run_prefix(run)}/{stems[field]}-{token}.npz", path
            )
    return written


def _run_prefix(run: InferenceRun) -> str:
    from backend.inference.services import run_prefix

    return run_prefix(run)


def _delete(keys: Any, prefix: str | None = None) -> None:
    for key in keys:
        if key and storage.exists(key):
            storage.delete(key)
    if prefix:
        storage.delete_prefix(prefix)


def edits_list(*, run: InferenceRun, limit: int = 200) -> list[dict[str, Any]]:
    rows = (
        TrackEdit.objects.filter(run=run)
        .select_related("user", "undone_by")
        .order_by("-version")[:limit]
    )
    return [edit_to_dict(e) for e in rows]


def frames_edited_by(*, run: InferenceRun, frame_index: int) -> list[str]:
    """Who made the edits that changed ``frame_index`` (and stand), in order."""
    edits = TrackEdit.objects.filter(
        run=run, start__lte=frame_index, stop__gt=frame_index,
        undoes__isnull=True, undone_by__isnull=True, user__isnull=False,
    ).order_by("version")  # fmt: skip
    return list(dict.fromkeys(edits.values_list("user__username", flat=True)))
