"""A project's pinned test set: the API, and that training never sees those frames."""

from __future__ import annotations

import pytest

from backend.labels.models import LabeledFrame
from backend.training import services
from backend.training.models import ModelVersion, TrainingJob
from ml_worker.dataset import snapshot_key

pytestmark = pytest.mark.django_db
TINY = {"max_seconds": 6.0, "max_crop_size": 64, "filters": 8}


def _url(project, frame=None):
    base = f"/api/projects/{project.id}/test-set/"
    return base if frame is None else f"{base}frames/{frame}/"


def _keys(frames):
    return sorted(snapshot_key(f["video"], f["frame_index"]) for f in frames)


def test_the_owner_pins_a_seeded_random_test_set(client_for, project, labeled_video, alice):
    client = client_for(alice)
    first = client.post(_url(project), {"count": 3, "seed": 7}, format="json").json()
    assert len(first["frames"]) == 3 and first["eligible_frames"] == 12
    client.delete(_url(project))
    again = client.post(_url(project), {"count": 3, "seed": 7}, format="json").json()
    assert again["frames"] == first["frames"]
    assert client.get(_url(project)).json() == again


def test_only_the_owner_changes_it_members_read_it_outsiders_get_404(
    client_for, project, labeled_video, bob, vic, eve
):
    assert client_for(vic).get(_url(project)).status_code == 200
    assert client_for(bob).post(_url(project), {"count": 2}, format="json").status_code == 403
    assert client_for(bob).delete(_url(project)).status_code == 403
    assert client_for(eve).get(_url(project)).status_code == 404


def test_it_keeps_two_frames_for_training(client_for, project, labeled_video, alice):
    response = client_for(alice).post(_url(project), {"count": 11}, format="json")
    assert response.status_code == 400
    assert "at most 10" in response.json()["message"]


def test_single_frames_are_pinned_and_unpinned(client_for, project, labeled_video, alice):
    client = client_for(alice)
    frame = LabeledFrame.objects.get(video=labeled_video, frame_index=5)
    pinned = client.put(_url(project, frame.id)).json()
    assert [(f["id"], f["frame_index"]) for f in pinned["frames"]] == [(frame.id, 5)]
    assert client.delete(_url(project, frame.id)).json()["frames"] == []
    assert client.put(_url(project, 999_999)).status_code == 404


def test_pinned_frames_never_reach_train_or_validation(project, labeled_video, alice):
    pinned = LabeledFrame.objects.filter(video=labeled_video, frame_index__in=[0, 25, 55])
    project.test_frames.set(pinned)
    snapshot = services.snapshot_freeze(project=project, user=alice)
    assert _keys(f for f in snapshot.content["frames"] if f.get("test")) == _keys(
        {"video": labeled_video.id, "frame_index": i} for i in (0, 25, 55)
    )
    keys = _keys(snapshot.content["frames"])
    split = services.training_split(content=snapshot.content, keys=keys, seed=0)
    assert split["test"] == _keys(
        {"video": labeled_video.id, "frame_index": i} for i in (0, 25, 55)
    )
    assert not set(split["test"]) & (set(split["train"]) | set(split["val"]))
    assert sorted(split["train"] + split["val"] + split["test"]) == keys and len(split["val"]) == 2


def test_a_project_whose_frames_are_all_test_frames_cannot_train(project, labeled_video, alice):
    project.test_frames.set(LabeledFrame.objects.exclude(frame_index=0))
    with pytest.raises(services.ApplicationError, match="outside the test set"):
        services.snapshot_freeze(project=project, user=alice)


@pytest.mark.media
def test_a_trained_version_stores_test_metrics_on_the_pinned_frames(
    client_for, project, labeled_video, alice, bob, django_capture_on_commit_callbacks
):
    client_for(alice).post(_url(project), {"count": 3, "seed": 1}, format="json")
    pinned = _keys(
        {"video": f.video_id, "frame_index": f.frame_index} for f in project.test_frames.all()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(
            f"/api/projects/{project.id}/training-jobs/",
            {"preset": "fast", "advanced": TINY},
            format="json",
        )
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert job.split["test"] == pinned
    assert not set(pinned) & (set(job.split["train"]) | set(job.split["val"]))
    metrics = ModelVersion.objects.get(job=job).metrics
    assert metrics["test"]["frame_keys"] == pinned and metrics["test"]["n_frames"] == 3
    assert metrics["frame_keys"] == job.split["val"]
    assert {"rmse_px", "pck_10px"} <= metrics["test"].keys()


def _start(client, project, callbacks, **body):
    with callbacks(execute=True):
        response = client.post(
            f"/api/projects/{project.id}/training-jobs/",
            {"preset": "fast", "advanced": TINY, **body},
            format="json",
        )
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    return job


@pytest.mark.media
def test_test_frames_a_warm_start_parent_trained_on_are_named(
    client_for, project, labeled_video, alice, bob, django_capture_on_commit_callbacks
):
    parent = _start(client_for(bob), project, django_capture_on_commit_callbacks)
    assert parent.split["test"] == [] and "test" not in parent.model_version.metrics
    client_for(alice).post(_url(project), {"count": 3, "seed": 2}, format="json")
    child = _start(
        client_for(bob),
        project,
        django_capture_on_commit_callbacks,
        parent_version=parent.model_version.id,
    )
    test = ModelVersion.objects.get(job=child).metrics["test"]
    assert child.split["test"] and test["seen_by_parent_frames"] == child.split["test"]
    fresh = _start(client_for(bob), project, django_capture_on_commit_callbacks)
    assert ModelVersion.objects.get(job=fresh).metrics["test"]["seen_by_parent_frames"] == []
