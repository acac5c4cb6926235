"""Requests signed in with a session cookie, as the browser sends them.

Most API tests use ``force_authenticate``, which hands views a real user object. A
browser's request carries Django's lazy user (``SimpleLazyObject``) instead, and the
per-user quota locks used ``type(user).objects``: every import and every training job
started from the browser failed with a 500 (found by tests/e2e/test_first_day.py).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from backend.interchange import services as interchange_services
from backend.interchange.models import ImportExportJob
from backend.labels.services import labels_save
from backend.training import services as training_services
from backend.training.models import TrainingJob

pytestmark = pytest.mark.django_db


def _browser(username: str) -> APIClient:
    client = APIClient()
    assert client.login(username=username, password=f"{username}-password-1")
    return client


@pytest.fixture
def labeled(project, video, synthetic_video_file, alice):
    _, truth = synthetic_video_file
    nodes = list(project.nodes.order_by("position"))
    for index in (0, 10, 20):
        points = [
            {"node": node.id, "x": float(x), "y": float(y), "visibility": 2}
            for node, (x, y) in zip(nodes, truth.keypoints[index][[0, 1, 2]], strict=True)
        ]
        labels_save(
            video=video, frame_index=index, user=alice, version=0, instances=[{"points": points}]
        )
    return video


def test_training_started_from_a_session_is_queued(project, labeled, bob, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(training_services, "_enqueue_on_commit", lambda job: sent.append(job.id))
    response = _browser("bob").post(
        f"/api/projects/{project.id}/training-jobs/", {"preset": "fast"}, format="json"
    )
    assert response.status_code == 201, response.content[:500]
    job = TrainingJob.objects.get()
    assert job.created_by == bob and sent == [job.id]


def test_import_uploaded_from_a_session_is_queued(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[int] = []
    monkeypatch.setattr(interchange_services, "_enqueue", lambda name, job_id: sent.append(job_id))
    upload = SimpleUploadedFile("labels.json", b'{"images": [], "annotations": []}')
    with django_capture_on_commit_callbacks(execute=True):
        response = _browser("alice").post("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content[:500]
    job = ImportExportJob.objects.get()
    assert job.created_by == alice and sent == [job.id]
