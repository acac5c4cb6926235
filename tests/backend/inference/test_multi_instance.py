"""Predictions with an instance axis: the API, the DLC/SLEAP exports and accepting suggestions.

The prediction files are written here in the npz contract (no model needed): two
mice with tracks on 10 frames, the second missing on frame 3.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from backend.common import storage
from backend.inference.matching import replaced_instances
from backend.inference.models import InferenceRun, Suggestion
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from backend.training.models import LabelSnapshot, ModelVersion, TrainingJob
from tests.conftest import node_ids

pytestmark = pytest.mark.django_db
NAMES = ["snout", "left_ear", "right_ear"]
FRAMES = 10
# Node offsets from an animal's centre: snout ahead, ears behind.
SHAPE = np.array([[0.0, -8.0], [-5.0, 4.0], [5.0, 4.0]], np.float32)


def _two_mice() -> dict[str, np.ndarray]:
    f = np.arange(FRAMES, dtype=np.float32)[:, None]
    centres = np.stack([np.hstack([20 + f, 0 * f + 30]), np.hstack([0 * f + 80, 60 - f])], 1)
    points = (centres[:, :, None, :] + SHAPE).astype(np.float32)  # (F, 2, 3, 2)
    scores = np.full((FRAMES, 2, 3), 0.9, np.float32)
    points[3, 1], scores[3, 1] = np.nan, np.nan
    instance_scores = np.full((FRAMES, 2), 0.8, np.float32)
    track_ids = np.tile(np.array([0, 1], np.int32), (FRAMES, 1))
    instance_scores[3, 1], track_ids[3, 1] = np.nan, -1
    return {"points": points, "scores": scores, "instance_scores": instance_scores,
            "track_ids": track_ids}  # fmt: skip


def _write(name: str, track_names: list[str], **arrays: np.ndarray) -> str:
    meta = {"fps": 30.0, "frame_count": 60, "width": 128, "height": 96,
            "node_names": NAMES, "track_names": track_names}  # fmt: skip
    data = io.BytesIO()
    np.savez(data, frame_indices=np.arange(FRAMES), meta=np.array(json.dumps(meta)), **arrays)
    return storage.save_bytes(f"predictions/{name}.npz", data.getvalue())


@pytest.fixture
def version(project, alice):
    snapshot = LabelSnapshot.objects.create(project=project, sha256="x", frame_count=0, content={})
    job = TrainingJob.objects.create(project=project, snapshot=snapshot, preset="fast", config={},
                                     created_by=alice, status="succeeded")  # fmt: skip
    config = {"node_names": NAMES, "edges": [[0, 1], [0, 2]], "symmetries": [[1, 2]]}
    return ModelVersion.objects.create(
        project=project, job=job, number=1, artifact_dir="models/none", config=config
    )


@pytest.fixture
def make_run(project, video, version, alice):
    def make(key: str) -> InferenceRun:
        return InferenceRun.objects.create(
            project=project, model_version=version, video=video, created_by=alice,
            status=InferenceRun.Status.SUCCEEDED, predictions_file=key,
        )  # fmt: skip

    return make


@pytest.fixture
def mice_run(make_run):
    return make_run(_write("mice", ["mouse-a", "mouse-b"], **_two_mice()))


@pytest.fixture
def several_animals(project):
    project.max_instances = None  # unknown: no cap on instances per frame
    project.save()
    return project


# --- the predictions API ----------------------------------------------------------


def test_a_frame_prediction_lists_every_instance_with_its_track(client_for, mice_run, vic):
    body = client_for(vic).get(f"/api/videos/{mice_run.video_id}/predictions/5/").json()
    assert [i["track"] for i in body["instances"]] == ["mouse-a", "mouse-b"]
    first = body["instances"][0]
    assert first["score"] == 0.8
    assert [p["node"] for p in first["points"]] == node_ids(mice_run.project)
    assert first["points"][0] == {"node": first["points"][0]["node"], "x": 25.0, "y": 22.0,
                                  "score": 0.9}  # fmt: skip


def test_a_frame_with_one_animal_found_has_one_instance(client_for, mice_run, vic):
    body = client_for(vic).get(f"/api/videos/{mice_run.video_id}/predictions/3/").json()
    assert [i["track"] for i in body["instances"]] == ["mouse-a"]


def test_a_range_holds_instances_with_one_entry_per_model_node(client_for, mice_run, vic):
    body = client_for(vic).get(
        f"/api/inference-runs/{mice_run.id}/predictions/", {"start": 2, "stop": 5}
    ).json()
    assert [len(f["instances"]) for f in body["frames"]] == [2, 1, 2]
    mouse_b = body["frames"][0]["instances"][1]
    assert mouse_b["track"] == "mouse-b" and mouse_b["score"] == 0.8
    assert mouse_b["points"][0] == [80.0, 50.0, 0.9] and len(mouse_b["points"]) == 3


def test_files_from_before_the_instance_axis_read_as_one_untracked_animal(
    client_for, make_run, vic
):
    arrays = _two_mice()
    points, scores = arrays["points"][:, 0], arrays["scores"][:, 0]
    points[4, 2] = np.nan
    run = make_run(_write("old", [], points=points, scores=scores, anchors=points[:, 0]))
    body = client_for(vic).get(
        f"/api/inference-runs/{run.id}/predictions/", {"start": 4, "stop": 5}
    ).json()
    (instance,) = body["frames"][0]["instances"]
    assert instance["track"] is None and instance["score"] is None
    assert instance["points"][2] is None


# --- exports ------------------------------------------------------------------------


def _csv(client, run) -> pd.DataFrame:
    response = client.get(f"/api/inference-runs/{run.id}/export/dlc-csv/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    levels = 4 if b"individuals" in data.split(b"\n", 3)[1] else 3
    return pd.read_csv(io.BytesIO(data), header=list(range(levels)), index_col=0)


def test_dlc_csv_of_tracked_animals_uses_the_multi_animal_layout(client_for, mice_run, vic):
    table = _csv(client_for(vic), mice_run)
    assert table.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(table.columns.get_level_values(1).unique()) == ["mouse-a", "mouse-b"]
    assert table.shape == (FRAMES, 2 * 3 * 3)
    scorer = table.columns.get_level_values(0)[0]
    assert table.loc[5, (scorer, "mouse-b", "snout", "y")] == 47.0
    assert np.isnan(table.loc[3, (scorer, "mouse-b", "snout", "x")])


def test_untracked_animals_are_numbered_individuals(client_for, make_run, vic):
    arrays = {**_two_mice(), "track_ids": np.full((FRAMES, 2), -1, np.int32)}
    table = _csv(client_for(vic), make_run(_write("untracked", [], **arrays)))
    assert list(table.columns.get_level_values(1).unique()) == ["individual1", "individual2"]


def test_one_untracked_animal_keeps_the_single_animal_layout(client_for, make_run, vic):
    arrays = _two_mice()
    run = make_run(_write("single", [], points=arrays["points"][:, :1],
                          scores=arrays["scores"][:, :1],
                          instance_scores=arrays["instance_scores"][:, :1],
                          track_ids=np.full((FRAMES, 1), -1, np.int32)))  # fmt: skip
    table = _csv(client_for(vic), run)
    assert table.columns.names == ["scorer", "bodyparts", "coords"] and table.shape == (FRAMES, 9)


def test_slp_holds_every_animal_with_its_track(client_for, mice_run, vic, tmp_path):
    import sleap_io as sio

    response = client_for(vic).get(f"/api/inference-runs/{mice_run.id}/export/slp/")
    path = tmp_path / "mice.slp"
    path.write_bytes(b"".join(response.streaming_content))
    labels = sio.load_slp(str(path))
    assert [t.name for t in labels.tracks] == ["mouse-a", "mouse-b"]
    assert [len(lf.instances) for lf in labels.labeled_frames] == [2, 2, 2, 1, 2, 2, 2, 2, 2, 2]
    second = labels.labeled_frames[0].instances[1]
    assert second.track.name == "mouse-b" and second.score == pytest.approx(0.8)


# --- accepting a suggestion -----------------------------------------------------------


def _human(project, cx: float, cy: float, track: str | None = None) -> dict:
    points = [{"node": n, "x": cx + dx, "y": cy + dy, "visibility": 2}
              for n, (dx, dy) in zip(node_ids(project), SHAPE.tolist(), strict=True)]  # fmt: skip
    return {"track": track, "source": "human", "points": points}


def _suggest(run, frame_index: int = 5) -> Suggestion:
    return Suggestion.objects.create(run=run, video=run.video, frame_index=frame_index, score=1.0)


def _accept(client, suggestion, **body):
    return client.post(f"/api/suggestions/{suggestion.id}/accept/", body, format="json")


def test_accepting_adds_the_animals_and_leaves_two_peoples_instances_alone(
    client_for, several_animals, mice_run, alice, bob
):
    video = mice_run.video
    alices = _human(several_animals, 200, 150)
    labels_save(video=video, frame_index=5, user=alice, version=0, instances=[alices])
    bobs = _human(several_animals, 300, 100)
    labels_save(video=video, frame_index=5, user=bob, version=1, instances=[alices, bobs])
    response = _accept(client_for(bob), _suggest(mice_run), version=2)
    assert response.status_code == 200, response.json()
    frame = LabeledFrame.objects.get(video=video, frame_index=5)
    instances = list(frame.instances.all())
    assert [(i.source, i.track) for i in instances] == [
        ("human", None), ("human", None), ("model", "mouse-a"), ("model", "mouse-b")
    ]
    assert [p["x"] for p in instances[0].points] == [p["x"] for p in alices["points"]]
    assert [p["x"] for p in instances[1].points] == [p["x"] for p in bobs["points"]]
    assert all(p["score"] == 0.9 for p in instances[3].points)
    after = frame.history.order_by("-id").first().after
    assert [("provenance" in i) for i in after] == [False, False, True, True]


def test_accepting_again_replaces_the_earlier_model_instances_by_track(
    client_for, several_animals, mice_run, make_run, bob
):
    client = client_for(bob)
    assert _accept(client, _suggest(mice_run)).status_code == 200
    newer = _suggest(make_run(mice_run.predictions_file))
    assert _accept(client, newer, version=1).status_code == 200
    frame = LabeledFrame.objects.get(video=mice_run.video, frame_index=5)
    assert [i.track for i in frame.instances.all()] == ["mouse-a", "mouse-b"]


def test_accepting_chosen_instances_adds_only_those(client_for, several_animals, mice_run, bob):
    response = _accept(client_for(bob), _suggest(mice_run), instances=[1])
    assert response.status_code == 200, response.json()
    frame = LabeledFrame.objects.get(video=mice_run.video, frame_index=5)
    assert [i.track for i in frame.instances.all()] == ["mouse-b"]
    bad = _accept(client_for(bob), _suggest(mice_run, 6), instances=[2])
    assert bad.status_code == 400 and "2 predicted" in bad.json()["message"]


def test_the_projects_animal_count_still_bounds_an_accept(client_for, project, mice_run, bob):
    response = _accept(client_for(bob), _suggest(mice_run))  # max_instances is 1 by default
    assert response.status_code == 400 and "allows 1 per frame" in response.json()["message"]
    assert not LabeledFrame.objects.filter(video=mice_run.video, frame_index=5).exists()


def _model(project, cx: float, cy: float, track: str | None = None) -> dict:
    return {**_human(project, cx, cy, track), "source": "model"}


def test_untracked_predictions_replace_the_nearest_model_instance_within_an_animal(project):
    existing = [_model(project, 10, 10), _human(project, 50, 50), _model(project, 52, 50)]
    accepted = [_model(project, 49, 51), _model(project, 300, 300)]
    # The human instance at 50,50 is nearer than the model one at 52,50, and stays.
    assert replaced_instances(existing, accepted) == {2}


def test_tracks_that_disagree_are_never_replaced(project):
    existing = [_model(project, 50, 50, "mouse-a"), _model(project, 90, 90, "mouse-b")]
    assert replaced_instances(existing, [_model(project, 50, 50, "mouse-b")]) == {1}
    assert replaced_instances(existing, [_model(project, 50, 50, "mouse-c")]) == set()
    assert replaced_instances(existing[:1], [_model(project, 50, 50)]) == {0}
