"""One training job through the API, end to end (Celery eager): labels → job → model → zip.

The downloaded ONNX model, run with onnxruntime alone, must match the
platform's own predictions within 0.5 px.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from backend.common import storage
from backend.training.models import ModelVersion, TrainingJob
from backend.videos.services import frame_rgb

pytestmark = [pytest.mark.django_db, pytest.mark.media]
TINY = {"max_seconds": 6.0, "max_crop_size": 64, "filters": 8}


def _train(client, project, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/projects/{project.id}/training-jobs/", body, format="json")
    assert response.status_code == 201, response.json()
    return TrainingJob.objects.get(pk=response.json()["id"])


def test_one_click_training_publishes_a_downloadable_model(
    client_for, project, labeled_video, bob, django_capture_on_commit_callbacks, tmp_path
):
    client = client_for(bob)
    job = _train(client, project, django_capture_on_commit_callbacks, preset="fast", advanced=TINY)
    assert job.status == "succeeded", job.error
    assert job.history and job.history[-1]["val_loss"] is not None
    assert sorted(job.split) == ["test", "train", "val"] and job.split["val"]
    assert job.split["test"] == [] and "test" not in job.model_version.metrics
    version = ModelVersion.objects.get(job=job)
    assert version.number == 1
    assert {"rmse_px", "pck_5px", "pck_10px", "per_node_rmse_px"} <= version.metrics.keys()

    response = client.get(f"/api/model-versions/{version.id}/download/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"weights.ts", "model.onnx", "config.json", "metrics.json", "README.md"} <= set(
        archive.namelist()
    )
    config = json.loads(archive.read("config.json"))
    assert config["node_names"] == ["snout", "left_ear", "right_ear"]

    import onnxruntime

    from ml_worker.artifacts import ModelArtifact, predict_frames

    frames = np.stack([frame_rgb(video=labeled_video, index=i) for i in (3, 33)])
    session = onnxruntime.InferenceSession(
        archive.read("model.onnx"), providers=["CPUExecutionProvider"]
    )
    onnx_points = session.run(None, {session.get_inputs()[0].name: frames})[0]

    artifact = ModelArtifact.from_dir(storage.local_dir(version.artifact_dir))
    points, _ = predict_frames(artifact, frames)
    assert np.abs(onnx_points - points).max() < 0.5


def test_warm_start_from_a_version(
    client_for, project, labeled_video, bob, django_capture_on_commit_callbacks
):
    client = client_for(bob)
    first = _train(
        client, project, django_capture_on_commit_callbacks, preset="fast", advanced=TINY
    )
    parent = ModelVersion.objects.get(job=first)
    second = _train(
        client,
        project,
        django_capture_on_commit_callbacks,
        preset="fast",
        advanced=TINY,
        parent_version=parent.id,
    )
    assert second.status == "succeeded", second.error
    child = ModelVersion.objects.get(job=second)
    assert (child.number, child.parent_id) == (2, parent.id)
