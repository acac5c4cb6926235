"""Unlabeled frames through the API (Celery eager): encoder pretraining and pseudo-labels.

A pretraining job runs end to end on the synthetic video and the next training job that
asks for it starts from its encoder; pseudo-labels come from a finished inference run
and never include a labeled, validation or test frame (or a neighbour of a held-out one).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from backend.common import storage
from backend.inference.models import InferenceRun
from backend.training import testset
from backend.training.models import ModelVersion, PretrainJob, TrainingJob
from ml_worker.pretrain import read_encoder

pytestmark = [pytest.mark.django_db, pytest.mark.media]
TINY = {"max_seconds": 6.0, "max_crop_size": 64, "filters": 8}
# one step at the smallest rate: the published weights stay within 1e-5 of the start
FROZEN = {**TINY, "max_steps": 1, "learning_rate": 1e-6, "weight_decay": 0.0}


def _post(client, url, body, capture):
    with capture(execute=True):
        return client.post(url, body, format="json")


def _train(client, project, capture, advanced):
    response = _post(client, f"/api/projects/{project.id}/training-jobs/",
                     {"preset": "fast", "advanced": advanced}, capture)
    assert response.status_code == 201, response.json()
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    return job


def _instance_weights(job: TrainingJob) -> dict[str, torch.Tensor]:
    path = storage.local_path(f"{job.model_version.artifact_dir}/weights.pt")
    return torch.load(path, map_location="cpu", weights_only=True)["instance"]


def test_pretraining_runs_and_the_next_training_job_starts_from_it(
    client_for, project, labeled_video, bob, django_capture_on_commit_callbacks
):
    client = client_for(bob)
    response = _post(client, f"/api/projects/{project.id}/pretrain-jobs/",
                     {"max_seconds": 5, "frames": 8, "filters": 8},
                     django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    pretrain = PretrainJob.objects.get(pk=response.json()["id"])
    assert pretrain.status == "succeeded", pretrain.error
    assert pretrain.result["frames"] == 8 and pretrain.result["steps"] > 0
    listed = client.get(f"/api/projects/{project.id}/pretrain-jobs/").json()
    assert listed[0]["id"] == pretrain.id and listed[0]["result"]["steps"] > 0

    job = _train(client, project, django_capture_on_commit_callbacks,
                 {**FROZEN, "use_pretrained_encoder": "auto"})
    assert job.unlabeled["pretrained_encoder"]["job"] == pretrain.id
    levels = read_encoder(storage.local_path(pretrain.weights))["levels"]
    weights = _instance_weights(job)
    for name, level, conv in (("encoders.0.0", 0, 0), ("encoders.1.2", 1, 1)):
        assert torch.allclose(weights[f"{name}.weight"], levels[level][conv]["weight"], atol=1e-5)

    wider = _train(client, project, django_capture_on_commit_callbacks,
                   {**FROZEN, "filters": 12, "use_pretrained_encoder": "auto"})
    assert wider.unlabeled["pretrained_encoder"]["job"] is None  # other widths: not used
    # "auto" is the default: a job that says nothing starts from the pretraining too
    default = _train(client, project, django_capture_on_commit_callbacks, FROZEN)
    assert default.config["use_pretrained_encoder"] == "auto"
    assert default.unlabeled["pretrained_encoder"]["job"] == pretrain.id
    scratch = _train(client, project, django_capture_on_commit_callbacks,
                     {**FROZEN, "use_pretrained_encoder": "off"})
    assert scratch.unlabeled == {}
    assert not torch.allclose(_instance_weights(scratch)["encoders.0.0.weight"],
                              levels[0][0]["weight"], atol=1e-3)


def _finished_run(version: ModelVersion, video, truth) -> InferenceRun:
    """An inference run of ``version`` whose predictions are the video's ground truth."""
    n = video.frame_count
    points = truth.keypoints[:n, None, :3].astype(np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, points=points, scores=np.full(points.shape[:3], 0.9, np.float32),
             instance_scores=np.full((n, 1), 0.9, np.float32), frame_indices=np.arange(n),
             meta=np.array(json.dumps({"node_names": version.config["node_names"]})))
    key = storage.save_bytes(f"tests/run-{version.id}.npz", buffer.getvalue())
    return InferenceRun.objects.create(project=version.project, model_version=version,
                                       video=video, status="succeeded", predictions_file=key)


def test_pseudo_labels_never_include_labeled_validation_or_test_frames(
    client_for, project, labeled_video, synthetic_video_file, bob,
    django_capture_on_commit_callbacks,
):
    client = client_for(bob)
    first = _train(client, project, django_capture_on_commit_callbacks, TINY)
    run = _finished_run(first.model_version, labeled_video, synthetic_video_file[1])
    testset.testset_pin(project=project, count=2)

    job = _train(client, project, django_capture_on_commit_callbacks,
                 {**TINY, "pseudo_labels": True, "pseudo_label_threshold": 0.5})
    record = job.unlabeled["pseudo_labels"]
    assert record["runs"] == [run.id] and record["frames"] == len(record["keys"]) > 0
    frames = {int(k.rsplit("frame", 1)[1]) for k in record["keys"]}
    labeled = set(labeled_video.labeled_frames.values_list("frame_index", flat=True))
    held_out = {int(k.rsplit("frame", 1)[1]) for k in job.split["val"] + job.split["test"]}
    assert job.split["test"] and not frames & labeled
    assert all(abs(f - h) > 5 for f in frames for h in held_out)
    assert set(record["keys"]) <= set(job.split["train"])
    assert not set(record["keys"]) & set(job.split["val"] + job.split["test"])


def test_a_viewer_cannot_start_pretraining_and_another_project_is_not_found(
    client_for, project, video, vic, eve, bob, django_capture_on_commit_callbacks
):
    url = f"/api/projects/{project.id}/pretrain-jobs/"
    assert client_for(vic).post(url, {}, format="json").status_code == 403
    assert client_for(eve).post(url, {}, format="json").status_code == 404
    assert client_for(eve).get(url).status_code == 404
    assert client_for(vic).get(url).status_code == 200


def test_only_the_starter_or_an_owner_cancels_and_one_runs_at_a_time(
    client_for, project, video, bob, rita, alice
):
    url = f"/api/projects/{project.id}/pretrain-jobs/"
    # not executed on commit: the job stays queued
    job = client_for(bob).post(url, {"max_seconds": 5}, format="json").json()
    again = client_for(alice).post(url, {}, format="json")
    assert again.status_code == 409 and "already" in again.json()["message"]
    cancel = f"/api/pretrain-jobs/{job['id']}/cancel/"
    assert client_for(rita).post(cancel).status_code == 403
    assert client_for(alice).post(cancel).json()["status"] == "cancelled"


def test_a_ready_video_queues_one_pretraining_of_its_project(
    project, video, settings, django_capture_on_commit_callbacks
):
    from backend.videos.models import Video
    from backend.videos.tasks import video_process

    settings.PRETRAIN_ON_UPLOAD = True
    with django_capture_on_commit_callbacks(execute=False) as queued:
        video_process(video.id)  # the worker's task body: process, then the hook
    video.refresh_from_db()
    assert video.status == Video.Status.READY
    job = PretrainJob.objects.get(project=project)
    assert job.status == "queued" and job.created_by is None and len(queued) == 1
    assert job.config["frames"] == 200  # the default plan, over every ready video
    # a second video while that one waits: it samples its frames when it starts
    with django_capture_on_commit_callbacks(execute=False) as queued:
        video_process(video.id)
    assert PretrainJob.objects.filter(project=project).count() == 1 and not queued
    # once it finished, new footage supersedes it
    PretrainJob.objects.filter(pk=job.pk).update(status="succeeded")
    with django_capture_on_commit_callbacks(execute=False):
        video_process(video.id)
    assert PretrainJob.objects.filter(project=project, status="queued").count() == 1


def test_no_pretraining_for_a_failed_video_or_when_turned_off(
    project, video, settings
):
    from backend.training.unlabeled import pretrain_after_upload
    from backend.videos.models import Video
    from backend.videos.tasks import video_process

    settings.PRETRAIN_ON_UPLOAD = False
    video_process(video.id)
    assert not PretrainJob.objects.exists()
    settings.PRETRAIN_ON_UPLOAD = True
    Video.objects.filter(pk=video.pk).update(status=Video.Status.FAILED)
    assert pretrain_after_upload(video_id=video.id) is None
    assert pretrain_after_upload(video_id=10**9) is None
    assert not PretrainJob.objects.exists()


def test_pretraining_needs_a_video(client_for, project, bob):
    response = client_for(bob).post(f"/api/projects/{project.id}/pretrain-jobs/", {},
                                    format="json")
    assert response.status_code == 400 and "video" in response.json()["message"]


def test_the_encoder_path_is_the_servers_choice_not_the_users(client_for, project, video, bob):
    response = client_for(bob).post(
        f"/api/projects/{project.id}/training-jobs/",
        {"preset": "fast", "advanced": {"pretrained_encoder": "/etc/passwd"}}, format="json",
    )
    assert response.status_code == 400 and "pretrained_encoder" in str(response.json())
