"""Proofreading edits on track ids, their inverses, and the track timeline."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ml_worker.tracking.edits import EditError, TrackArrays, apply_edit, resolve
from ml_worker.tracking.timeline import confidence, next_spot, suspicious, timeline

FRAMES = 10
SHAPE = np.array([[0.0, -8.0], [-5.0, 4.0], [5.0, 4.0]])


def mice(**changes) -> TrackArrays:
    """Two mice on frames 100..109 (a walks right at y=30, b walks up at x=80), tracked
    a=0, b=1; b is missing on frame 103."""
    f = np.arange(FRAMES, dtype=np.float64)[:, None]
    centres = np.stack([np.hstack([20 + f, 0 * f + 30]), np.hstack([0 * f + 80, 60 - f])], 1)
    points = (centres[:, :, None, :] + SHAPE).astype(np.float32)
    scores = np.full((FRAMES, 2, 3), 0.9, np.float32)
    ids = np.tile(np.array([0, 1], np.int32), (FRAMES, 1))
    points[3, 1], scores[3, 1], ids[3, 1] = np.nan, np.nan, -1
    inst = np.where(ids >= 0, 0.8, np.nan).astype(np.float32)
    arrays = TrackArrays(np.arange(100, 100 + FRAMES), points, scores, inst, ids, ("a", "b"))
    return TrackArrays(**{**arrays.__dict__, **changes})


def names_per_frame(arrays: TrackArrays) -> list[list[str | None]]:
    return [[None if t < 0 else arrays.track_names[t] for t in row] for row in arrays.track_ids]


def assert_same(x: TrackArrays, y: TrackArrays) -> None:
    assert names_per_frame(x) == names_per_frame(y)
    np.testing.assert_array_equal(x.points, y.points)
    np.testing.assert_array_equal(x.scores, y.scores)
    np.testing.assert_array_equal(x.instance_scores, y.instance_scores)


def undo(result) -> TrackArrays:
    inverse = json.loads(json.dumps(result.inverse))  # stored as JSON in the database
    return apply_edit(result.arrays, inverse).arrays


def test_swap_from_a_frame_on_exchanges_the_two_identities_and_undoes_exactly():
    before = mice()
    result = apply_edit(before, {"op": "swap", "tracks": ["a", "b"], "start": 105, "stop": None})
    tracks = names_per_frame(result.arrays)
    assert tracks[4] == ["a", "b"] and tracks[5] == ["b", "a"] and tracks[9] == ["b", "a"]
    assert (result.start, result.stop) == (105, 110)
    assert_same(undo(result), before)
    assert before.track_ids[5, 0] == 0  # the input is untouched


def test_swap_for_a_range_changes_only_that_range():
    result = apply_edit(mice(), {"op": "swap", "tracks": ["a", "b"], "start": 102, "stop": 104})
    tracks = names_per_frame(result.arrays)
    assert tracks[1] == ["a", "b"] and tracks[2] == ["b", "a"]
    assert tracks[3] == ["b", None] and tracks[4] == ["a", "b"]


def test_assign_gives_an_instance_a_new_track_and_refuses_a_track_taken_on_that_frame():
    result = apply_edit(mice(), {"op": "assign", "frame": 103, "slot": 0, "track": "c"})
    assert names_per_frame(result.arrays)[3] == ["c", None]
    assert result.arrays.track_names == ("a", "b", "c")
    with pytest.raises(EditError, match="already on another instance"):
        apply_edit(mice(), {"op": "assign", "frame": 104, "slot": 0, "track": "b"})
    with pytest.raises(EditError, match="no instance in slot 1"):
        apply_edit(mice(), {"op": "assign", "frame": 103, "slot": 1, "track": "c"})


def test_merge_refuses_tracks_seen_together_and_joins_disjoint_ones():
    with pytest.raises(EditError, match="both seen on frame"):
        apply_edit(mice(), {"op": "merge", "track": "b", "into": "a"})
    before = apply_edit(mice(), {"op": "split", "track": "a", "frame": 106}).arrays
    assert before.track_names == ("a", "b", "track_2")

    result = apply_edit(before, {"op": "merge", "track": "track_2", "into": "a"})

    assert result.arrays.track_names == ("a", "b")  # the merged name is gone
    assert [row[0] for row in names_per_frame(result.arrays)] == ["a"] * FRAMES
    assert (result.start, result.stop) == (106, 110)
    assert_same(undo(result), before)


def test_split_starts_a_new_track_from_a_frame_on_and_undo_removes_it():
    before = mice()
    result = apply_edit(before, {"op": "split", "track": "b", "frame": 105, "new_track": "b2"})
    assert [row[1] for row in names_per_frame(result.arrays)][4:6] == ["b", "b2"]
    assert result.arrays.track_names == ("a", "b", "b2")
    restored = undo(result)
    assert_same(restored, before)
    assert restored.track_names == ("a", "b")
    with pytest.raises(EditError, match="exists already"):
        apply_edit(before, {"op": "split", "track": "b", "frame": 105, "new_track": "a"})


def test_delete_removes_the_instance_and_undo_puts_back_its_points_and_scores():
    before = mice()
    result = apply_edit(before, {"op": "delete", "frame": 101, "slot": 1})
    assert not np.isfinite(result.arrays.points[1, 1]).any()
    assert names_per_frame(result.arrays)[1] == ["a", None]
    assert_same(undo(result), before)


def test_rename_keeps_the_ids_and_refuses_an_existing_name():
    result = apply_edit(mice(), {"op": "rename", "track": "a", "to": "mouse-1"})
    assert result.arrays.track_names == ("mouse-1", "b")
    assert undo(result).track_names == ("a", "b")
    with pytest.raises(EditError, match="merge"):
        apply_edit(mice(), {"op": "rename", "track": "a", "to": "b"})


def test_an_instance_is_its_position_among_the_animals_found_on_the_frame():
    arrays = mice()
    arrays.points[5, 0] = np.nan  # slot 0 empty on frame 105: instance 0 is slot 1
    assert resolve({"op": "delete", "frame": 105, "instance": 0}, arrays)["slot"] == 1
    with pytest.raises(EditError, match="1 instance"):
        resolve({"op": "delete", "frame": 105, "instance": 1}, arrays)


def test_edits_that_change_nothing_or_name_unknown_things_are_refused():
    with pytest.raises(EditError, match="changes nothing"):
        apply_edit(mice(), {"op": "swap", "tracks": ["a", "b"], "start": 200, "stop": None})
    with pytest.raises(EditError, match="no track 'zz'"):
        apply_edit(mice(), {"op": "merge", "track": "zz", "into": "a"})
    with pytest.raises(EditError, match="Unknown edit"):
        apply_edit(mice(), {"op": "explode"})
    with pytest.raises(EditError, match="no prediction"):
        apply_edit(mice(), {"op": "delete", "frame": 3, "slot": 0})


# --- timeline ---------------------------------------------------------------------------


def test_the_timeline_shows_each_tracks_segments_gaps_and_low_confidence_stretches():
    arrays = mice()
    arrays.instance_scores[6:8, 0] = 0.1
    rows = timeline(arrays.track_ids, confidence(arrays.scores, arrays.instance_scores),
                    arrays.frame_indices, arrays.track_names)  # fmt: skip
    a, b = rows
    assert a["segments"] == [[100, 110]] and a["low_confidence"] == [[106, 108]]
    assert b["segments"] == [[100, 103], [104, 110]] and b["low_confidence"] == []
    assert b["frames"] == 9 and b["mean_score"] == 0.8


def test_suspicious_spots_are_spawns_ends_jumps_and_close_encounters_sorted_by_frame():
    arrays = mice()
    arrays.points[7, 0] += 60  # a leaps away on frame 107 and back on 108
    arrays.points[5, 1] = arrays.points[5, 0] + 1  # b brushes past a on frame 105
    events = suspicious(arrays.points, arrays.track_ids, arrays.frame_indices,
                        arrays.track_names)  # fmt: skip
    spots = [(e["frame"], e["kind"], e["tracks"]) for e in events]
    assert (102, "end", ["b"]) in spots and (104, "spawn", ["b"]) in spots
    assert (107, "jump", ["a"]) in spots and (108, "jump", ["a"]) in spots
    assert (105, "swap_candidate", ["a", "b"]) in spots
    assert [e["frame"] for e in events] == sorted(e["frame"] for e in events)
    assert (106, "jump", ["b"]) in spots  # b going back where it was
    assert next_spot(events, 106)["frame"] == 107


def test_identity_scores_that_prefer_another_track_are_suspicious():
    arrays = mice()
    identity = np.zeros((FRAMES, 2, 2))
    identity[:, 0, 0] = identity[:, 1, 1] = 1.0
    identity[8, 0] = [0.1, 0.9]  # a's instance looks like b on frame 108
    events = suspicious(arrays.points, arrays.track_ids, arrays.frame_indices,
                        arrays.track_names, identity_scores=identity)  # fmt: skip
    assert {"frame": 108, "kind": "identity", "tracks": ["a", "b"]} in events
