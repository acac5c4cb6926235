"""Run lifecycle without a worker: queue, claim once, cancel, reap, publish, retrain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.common import storage
from backend.inference import services
from backend.inference.models import InferenceRun
from backend.training.models import TrainingJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(project, model_version, labeled_video, bob, no_enqueue):
    (run,) = services.inference_run_start(
        project=project, user=bob, model_version=model_version, videos=[labeled_video]
    )
    return run


def test_one_run_is_queued_per_video(client_for, project, model_version, video, bob, no_enqueue):
    from backend.videos.services import video_create_from_path

    second = video_create_from_path(
        project=project, path=storage.local_path(video.file.name)
    )
    response = client_for(bob).post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": model_version.id, "videos": [video.id, second.id]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [r["status"] for r in response.json()] == ["queued", "queued"]
    assert len(no_enqueue) == 2


def test_a_video_of_another_project_is_refused(client_for, project, model_version, bob, alice):
    from backend.projects.services import project_create

    other = project_create(name="Other", owner=alice)
    response = client_for(bob).post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": model_version.id, "videos": [10**6]},
        format="json",
    )
    assert response.status_code == 400
    response = client_for(alice).post(
        f"/api/projects/{other.id}/inference-runs/",
        {"model_version": model_version.id, "videos": [1]},
        format="json",
    )
    assert response.status_code == 400


def test_a_queued_run_is_cancelled_at_once(client_for, queued, bob):
    response = client_for(bob).post(f"/api/inference-runs/{queued.id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert not services.run_claim(run_id=queued.id, attempt=1, worker="w")
    again = client_for(bob).post(f"/api/inference-runs/{queued.id}/cancel/")
    assert again.status_code == 400


def test_a_run_is_claimed_once(queued):
    assert services.run_claim(run_id=queued.id, attempt=1, worker="w1")
    assert not services.run_claim(run_id=queued.id, attempt=1, worker="w2")


def test_cancelling_a_running_run_stops_it_before_it_publishes(queued, bob):
    services.run_claim(run_id=queued.id, attempt=1, worker="w")
    services.run_cancel(run=queued)
    stop = services.run_report(run_id=queued.id, fraction=0.5, frames_done=30, message="x")
    assert stop is True
    summary = {"frames": 60}
    assert not services.run_publish(run_id=queued.id, files={}, summary=summary, ranked=[])
    services.run_mark_cancelled(run_id=queued.id)
    queued.refresh_from_db()
    assert queued.status == "cancelled" and not queued.suggestions.exists()


def test_the_reaper_requeues_then_fails_a_silent_run(
    settings, queued, client_for, project, vic, no_enqueue
):
    from backend.common.tasks import reap_jobs

    settings.JOB_MAX_ATTEMPTS = 2
    services.run_claim(run_id=queued.id, attempt=1, worker="w")
    stale = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 5)
    InferenceRun.objects.filter(pk=queued.pk).update(heartbeat_at=stale)
    # Reading the list reaps nothing any more: Celery beat sends the reaper.
    client_for(vic).get(f"/api/projects/{project.id}/inference-runs/")
    client_for(vic).get(f"/api/inference-runs/{queued.id}/")
    queued.refresh_from_db()
    assert (queued.status, queued.attempt) == ("running", 1)
    assert reap_jobs.apply().get() == {"inference.InferenceRun": [queued.id]}
    queued.refresh_from_db()
    assert (queued.status, queued.attempt) == ("queued", 2)
    assert "stopped responding" in queued.message
    assert no_enqueue[-1] == queued.id  # sent again, for attempt 2
    services.run_claim(run_id=queued.id, attempt=2, worker="w")
    InferenceRun.objects.filter(pk=queued.pk).update(heartbeat_at=stale)
    assert services.runs_reap() == [queued.id]
    queued.refresh_from_db()
    assert queued.status == "failed" and queued.finished_at is not None
    assert "The worker w stopped while running this inference run" in queued.error
    assert "attempt 2 of 2" in queued.error


def test_a_fresh_heartbeat_is_not_reaped(queued):
    services.run_claim(run_id=queued.id, attempt=1, worker="w")
    assert services.runs_reap() == []


def test_retrain_warm_starts_from_the_runs_model(
    client_for, finished_run, model_version, bob, monkeypatch
):
    from backend.training import services as training

    monkeypatch.setattr(training, "_enqueue_on_commit", lambda job: None)
    response = client_for(bob).post(
        f"/api/inference-runs/{finished_run.id}/retrain/", {"preset": "fast"}, format="json"
    )
    assert response.status_code == 201, response.json()
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.parent_version == model_version and job.preset == "fast"
