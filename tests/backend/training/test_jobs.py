from datetime import timedelta

import pytest
from django.utils import timezone

from backend.common.exceptions import ApplicationError
from backend.training import services
from backend.training.models import ModelVersion, TrainingJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_enqueue(monkeypatch):
    sent = []
    monkeypatch.setattr(
        services, "_enqueue_on_commit", lambda job: sent.append((job.id, job.attempt))
    )
    return sent


def test_snapshot_is_frozen_and_hashed(project, labeled_video, alice):
    first = services.snapshot_freeze(project=project, user=alice)
    second = services.snapshot_freeze(project=project, user=alice)
    assert first.frame_count == 12
    assert first.sha256 == second.sha256
    assert [n["name"] for n in first.content["nodes"]] == ["snout", "left_ear", "right_ear"]
    assert first.content["symmetries"] == [[1, 2]]


def test_snapshot_without_unreviewed_labels_needs_approved_frames(project, labeled_video, alice):
    with pytest.raises(ApplicationError, match="at least 2 labeled frames"):
        services.snapshot_freeze(project=project, user=alice, include_unreviewed=False)


def test_start_queues_a_job_on_the_gpu_queue(client_for, project, labeled_video, bob, no_enqueue):
    response = client_for(bob).post(
        f"/api/projects/{project.id}/training-jobs/", {"preset": "fast"}, format="json"
    )
    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["status"] == "queued"
    assert job["snapshot"]["frame_count"] == 12
    assert job["config"]["preset"] == "fast"
    assert no_enqueue == [(job["id"], 1)]


@pytest.mark.parametrize(
    "advanced,message",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"no_such_setting": 1}, "no_such_setting"),
        ({"pretrained_weights": "/etc/passwd"}, "cannot be chosen"),
    ],
)
def test_bad_advanced_settings_get_a_clear_400(
    client_for, project, labeled_video, bob, advanced, message
):
    response = client_for(bob).post(
        f"/api/projects/{project.id}/training-jobs/",
        {"preset": "fast", "advanced": advanced},
        format="json",
    )
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not TrainingJob.objects.exists()


@pytest.mark.parametrize("who,status", [("vic", 403), ("eve", 404)])
def test_viewers_and_outsiders_cannot_train(
    request, client_for, project, labeled_video, who, status, no_enqueue
):
    user = request.getfixturevalue(who)
    assert (
        client_for(user)
        .post(f"/api/projects/{project.id}/training-jobs/", {}, format="json")
        .status_code
        == status
    )


def test_a_job_is_claimed_once(project, labeled_video, alice, no_enqueue):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    assert services.job_claim(job_id=job.id, attempt=1, worker="w1")
    assert not services.job_claim(job_id=job.id, attempt=1, worker="w2")  # a redelivery
    job.refresh_from_db()
    assert (job.status, job.worker) == ("running", "w1")


def test_cancel_before_start_is_immediate(client_for, project, labeled_video, bob, no_enqueue):
    job = services.training_job_start(project=project, user=bob, preset="fast")
    response = client_for(bob).post(f"/api/training-jobs/{job.id}/cancel/")
    assert response.json()["status"] == "cancelled"
    assert not services.job_claim(job_id=job.id, attempt=1, worker="w1")


def test_cancel_while_running_stops_and_never_publishes(project, labeled_video, alice, no_enqueue):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w1")
    services.job_cancel(job=job)
    assert services.job_report(job_id=job.id, info={"fraction": 0.5}) is True
    assert services.job_publish(job_id=job.id, metrics={}, config={}, download=None) is None
    services.job_mark_cancelled(job_id=job.id)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not ModelVersion.objects.exists()


def test_reaper_requeues_then_fails_a_lost_job(project, labeled_video, alice, no_enqueue, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w1")
    later = timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)
    assert services.jobs_reap(now=later) == [job.id]
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("queued", 2)
    assert no_enqueue[-1] == (job.id, 2)
    assert not services.job_claim(job_id=job.id, attempt=1, worker="old message")  # stale delivery
    assert services.job_claim(job_id=job.id, attempt=2, worker="w2")
    services.jobs_reap(now=timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1))
    job.refresh_from_db()
    assert job.status == "failed"
    assert "stopped responding" in job.error


def test_live_jobs_are_not_reaped(project, labeled_video, alice, no_enqueue):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w1")
    assert services.jobs_reap() == []


def test_versions_are_numbered_per_project(project, labeled_video, alice, no_enqueue):
    numbers = []
    for _ in range(2):
        job = services.training_job_start(project=project, user=alice, preset="fast")
        services.job_claim(job_id=job.id, attempt=1, worker="w")
        numbers.append(
            services.job_publish(
                job_id=job.id, metrics={"rmse_px": 1.0}, config={}, download=None
            ).number
        )
    assert numbers == [1, 2]


def test_outsider_cannot_see_jobs_or_models(
    client_for, project, labeled_video, alice, eve, no_enqueue
):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w")
    version = services.job_publish(job_id=job.id, metrics={}, config={}, download=None)
    client = client_for(eve)
    assert client.get(f"/api/training-jobs/{job.id}/").status_code == 404
    assert client.get(f"/api/model-versions/{version.id}/").status_code == 404
    assert client.get(f"/api/model-versions/{version.id}/download/").status_code == 404
    assert client.get(f"/api/projects/{project.id}/model-versions/").status_code == 404


def test_presets_are_listed(client_for, alice):
    presets = client_for(alice).get("/api/training-presets/").json()
    assert set(presets) == {"fast", "balanced", "accurate"}
