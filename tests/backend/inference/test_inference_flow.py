"""Inference end to end (Celery eager): model v1 -> predictions, suggestions, prediction layer."""

from __future__ import annotations

import numpy as np
import pytest

from backend.common import storage
from backend.inference.models import ActiveLearningSettings, Suggestion
from ml_worker.infer import VideoPredictions

pytestmark = [pytest.mark.django_db, pytest.mark.media]
LABELED = set(range(0, 60, 5))


def test_a_run_predicts_every_frame_and_suggests_unlabeled_frames(
    infer, project, model_version, labeled_video, bob
):
    # The default 10-frame gap leaves room for only about 4-6 picks in 60 frames.
    ActiveLearningSettings.objects.update_or_create(project=project, defaults={"min_gap": 3})
    (run,) = infer(bob, project, model_version, [labeled_video], suggest=5)
    assert run.status == "succeeded", run.error
    preds = VideoPredictions.load_npz(storage.local_path(run.predictions_file))
    assert preds.points.shape == (60, 1, 3, 2)  # one animal: one instance slot
    assert preds.scores.shape == (60, 1, 3)
    assert run.predictions_file.startswith("predictions/")
    assert (run.progress, run.frames_done) == (1.0, 60)
    assert run.summary["frames"] == 60
    assert set(run.summary["per_node_mean_score"]) == {"snout", "left_ear", "right_ear"}
    suggestions = list(Suggestion.objects.filter(run=run))
    assert len(suggestions) == 5
    assert all(s.reasons and s.status == "pending" for s in suggestions)
    assert not {s.frame_index for s in suggestions} & LABELED
    picked = sorted(s.frame_index for s in suggestions)
    assert min(b - a for a, b in zip(picked, picked[1:], strict=False)) >= 3
    # the default weights: the signals that earned their place, off ones not reported
    assert {"uncertainty", "disagreement"} <= set(suggestions[0].subscores)
    assert not {"temporal", "diversity"} & set(suggestions[0].subscores)


def test_the_run_list_and_detail_show_progress_and_exports(client_for, finished_run, project, vic):
    client = client_for(vic)
    (listed,) = client.get(f"/api/projects/{project.id}/inference-runs/").json()
    assert listed["id"] == finished_run.id and listed["status"] == "succeeded"
    assert listed["model_version_number"] == 1
    detail = client.get(f"/api/inference-runs/{finished_run.id}/").json()
    assert set(detail["exports"]) >= {"dlc-csv", "dlc-h5", "slp"}


def test_a_frame_range_of_predictions_is_served_as_a_layer(client_for, finished_run, vic):
    response = client_for(vic).get(
        f"/api/inference-runs/{finished_run.id}/predictions/", {"start": 10, "stop": 20}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["node_names"] == ["snout", "left_ear", "right_ear"]
    assert [f["frame_index"] for f in body["frames"]] == list(range(10, 20))
    (instance,) = body["frames"][0]["instances"]  # one animal: one instance, no track
    assert instance["track"] is None
    assert len(instance["points"]) == 3 and len(instance["points"][0]) == 3


def test_the_range_is_capped(client_for, finished_run, vic):
    body = (
        client_for(vic)
        .get(f"/api/inference-runs/{finished_run.id}/predictions/", {"start": 0, "stop": 10**6})
        .json()
    )
    assert body["stop"] == 1000 and len(body["frames"]) == 60


def test_the_latest_prediction_of_a_frame_uses_project_node_ids(
    client_for, finished_run, labeled_video, project, vic
):
    response = client_for(vic).get(f"/api/videos/{labeled_video.id}/predictions/7/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["run"] == finished_run.id and body["model_version"]["number"] == 1
    ids = list(project.nodes.order_by("position").values_list("id", flat=True))
    (instance,) = body["instances"]
    assert [p["node"] for p in instance["points"]] == ids


def test_renamed_nodes_are_skipped_and_the_rest_still_map(
    client_for, finished_run, labeled_video, project, vic
):
    project.nodes.filter(name="left_ear").update(name="ear_l")
    body = client_for(vic).get(f"/api/videos/{labeled_video.id}/predictions/7/").json()
    assert len(body["instances"][0]["points"]) == 2


def test_a_video_without_runs_has_an_empty_prediction(client_for, labeled_video, vic):
    response = client_for(vic).get(f"/api/videos/{labeled_video.id}/predictions/7/")
    assert response.status_code == 200  # not a 404 logged in the browser console
    assert response.json() == {
        "run": None, "model_version": None, "frame_index": 7, "instances": []
    }  # fmt: skip


def test_smoothing_writes_a_second_file_and_keeps_the_raw_one(
    infer, client_for, project, model_version, labeled_video, bob
):
    (run,) = infer(
        bob, project, model_version, [labeled_video], smoothing={"method": "median", "window": 5},
        suggest=0, render_video=False,
    )  # fmt: skip
    assert run.status == "succeeded", run.error
    assert run.smoothed_file and run.smoothed_file != run.predictions_file
    raw = VideoPredictions.load_npz(storage.local_path(run.predictions_file))
    smooth = VideoPredictions.load_npz(storage.local_path(run.smoothed_file))
    assert raw.points.shape == smooth.points.shape
    assert not np.allclose(raw.points, smooth.points, equal_nan=True)
    body = (
        client_for(bob)
        .get(f"/api/inference-runs/{run.id}/predictions/", {"start": 0, "stop": 5, "smoothed": 1})
        .json()
    )
    assert body["smoothed"] is True and len(body["frames"]) == 5
    assert not Suggestion.objects.filter(run=run).exists()


def test_bad_smoothing_is_a_400(client_for, project, model_version, labeled_video, bob):
    response = client_for(bob).post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": model_version.id, "videos": [labeled_video.id],
         "smoothing": {"method": "median", "window": 4}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "odd" in response.json()["message"]


def test_a_newer_run_supersedes_pending_suggestions(
    infer, finished_run, project, model_version, labeled_video, bob
):
    (second,) = infer(bob, project, model_version, [labeled_video], suggest=3, render_video=False)
    assert second.status == "succeeded", second.error
    assert not finished_run.suggestions.filter(status="pending").exists()
    assert second.suggestions.filter(status="pending").count() == 3
