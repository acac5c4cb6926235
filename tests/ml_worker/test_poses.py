"""The pose codec: stored instances <-> arrays <-> snapshot rows, padding and tracks."""

from __future__ import annotations

import numpy as np

from ml_worker.poses import (
    ABSENT,
    OCCLUDED,
    VISIBLE,
    FramePoses,
    from_predictions,
    from_rows,
    from_stored,
    stack,
    stored_to_rows,
    to_rows,
    to_stored,
)

NODE_IDS = [11, 12, 13]
INDEX = {node: col for col, node in enumerate(NODE_IDS)}
TWO_MICE = [
    {"track": "mouse-a", "source": "human", "points": [
        {"node": 11, "x": 10.5, "y": 20.25, "visibility": 2},
        {"node": 13, "x": 30.0, "y": 40.0, "visibility": 1},
    ]},
    {"track": None, "source": "human", "points": [
        {"node": 12, "x": 100.3, "y": 7.0, "visibility": 2},
    ]},
]  # fmt: skip


def test_stored_instances_round_trip_through_arrays():
    poses = from_stored(TWO_MICE, INDEX)
    assert poses.points.shape == (2, 3, 2) and poses.tracks == ["mouse-a", None]
    assert poses.visibility.tolist() == [[VISIBLE, ABSENT, OCCLUDED], [ABSENT, VISIBLE, ABSENT]]
    assert np.isnan(poses.points[0, 1]).all()
    back = to_stored(poses, NODE_IDS)
    assert [i["track"] for i in back] == ["mouse-a", None]
    assert [(p["node"], p["visibility"]) for p in back[0]["points"]] == [(11, 2), (13, 1)]
    assert back[0]["points"][0]["x"] == 10.5 and back[1]["points"][0]["y"] == 7.0


def test_absent_points_and_unknown_nodes_are_dropped():
    stored = [{"track": None, "points": [
        {"node": 11, "x": 1.0, "y": 2.0, "visibility": 0},
        {"node": 99, "x": 3.0, "y": 4.0, "visibility": 2},
    ]}]  # fmt: skip
    poses = from_stored(stored, INDEX)
    assert (poses.visibility == ABSENT).all() and np.isnan(poses.points).all()
    assert to_stored(poses, NODE_IDS) == []  # an instance with no point left is not stored
    assert poses.present().num_instances == 0


def test_snapshot_rows_round_trip_and_keep_typed_decimals():
    rows = stored_to_rows(TWO_MICE, INDEX)
    assert rows == [
        {"track": "mouse-a", "points": [[10.5, 20.25, 2], None, [30.0, 40.0, 1]]},
        {"track": None, "points": [None, [100.3, 7.0, 2], None]},
    ]
    assert to_rows(from_rows(rows, 3)) == rows


def test_rows_without_visibility_read_as_visible():
    poses = from_rows([{"points": [[1.0, 2.0], None]}], 2)
    assert poses.visibility.tolist() == [[VISIBLE, ABSENT]] and poses.tracks == [None]


def test_stored_scores_come_back_with_scores():
    stored = [{"track": "a", "score": 0.8, "points": [
        {"node": 12, "x": 5.0, "y": 6.0, "visibility": 2, "score": 0.5},
    ]}]  # fmt: skip
    (inst,) = to_stored(from_stored(stored, INDEX), NODE_IDS, source="model", with_scores=True)
    assert inst["score"] == 0.8 and inst["source"] == "model"
    assert inst["points"] == [{"node": 12, "x": 5.0, "y": 6.0, "visibility": 2, "score": 0.5}]


def test_stack_pads_frames_with_nan_instances_and_indexes_tracks():
    one = from_stored(TWO_MICE[:1], INDEX)
    two = from_stored([TWO_MICE[1], {**TWO_MICE[0], "track": "mouse-b"}], INDEX)
    arrays = stack([one, FramePoses.empty(3), two], 3)
    assert arrays.points.shape == (3, 2, 3, 2) and arrays.track_names == ["mouse-a", "mouse-b"]
    assert arrays.tracks.tolist() == [[0, -1], [-1, -1], [-1, 1]]
    assert np.isnan(arrays.points[0, 1]).all() and (arrays.visibility[1] == ABSENT).all()
    assert arrays.frame(1).num_instances == 0
    assert arrays.frame(0).tracks == ["mouse-a"]
    assert arrays.frame(2).tracks == [None, "mouse-b"]


def test_stack_caps_the_instance_count_and_keeps_given_track_order():
    two = from_stored(TWO_MICE, INDEX)
    arrays = stack([two], 3, max_instances=1, track_names=["zebra", "mouse-a"])
    assert arrays.points.shape == (1, 1, 3, 2)
    assert arrays.track_names == ["zebra", "mouse-a"] and arrays.tracks.tolist() == [[1]]


def test_predictions_with_an_instance_axis_become_pose_arrays():
    points = np.full((2, 2, 3, 2), np.nan, np.float32)
    points[0, 0] = [[1, 2], [3, 4], [np.nan, np.nan]]
    points[1, 1, 2] = [7, 8]
    scores = np.full((2, 2, 3), 0.9, np.float32)
    arrays = from_predictions(
        points, scores, instance_scores=np.array([[0.7, 0.0], [0.0, 0.6]]),
        track_ids=np.array([[1, -1], [-1, 0]]), track_names=["a", "b"],
    )  # fmt: skip
    first = arrays.frame(0)
    assert first.num_instances == 1 and first.tracks == ["b"]
    assert first.visibility.tolist() == [[VISIBLE, VISIBLE, ABSENT]]
    assert np.isclose(first.instance_scores[0], 0.7)
    second = arrays.frame(1)  # the padding slot 0 is dropped, the found one kept
    assert second.tracks == ["a"] and second.points[0, 2].tolist() == [7.0, 8.0]


def test_single_animal_predictions_read_as_one_instance():
    points = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    arrays = from_predictions(points, np.ones((2, 3)))
    assert arrays.points.shape == (2, 1, 3, 2) and arrays.tracks.tolist() == [[-1], [-1]]
    assert np.isnan(arrays.instance_scores).all()
    (inst,) = to_stored(arrays.frame(1), NODE_IDS, with_scores=True)
    assert [p["x"] for p in inst["points"]] == [6.0, 8.0, 10.0] and inst["score"] is None
