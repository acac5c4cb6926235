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
    assert "stopped while running this job" in job.error and "not retried" in job.error


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


# --- bounds, quota and lost workers (issue 11, finding 3) -----------------------------


@pytest.mark.parametrize(
    "advanced,field,allowed",
    [
        ({"crop_size": 5000}, "crop_size", "from 16 to 1024"),
        ({"max_crop_size": 100_000}, "max_crop_size", "from 16 to 1024"),
        ({"filters": 4096}, "filters", "from 1 to 128"),
        ({"max_steps": 10**9}, "max_steps", "from 1 to 1000000"),
        ({"early_stopping_patience": 10**9}, "early_stopping_patience", "from 1 to 1000"),
        ({"batch_size": 10_000}, "batch_size", "from 1 to 256"),
        ({"max_seconds": 10**7}, "max_seconds", "from 1 to 86400"),
        ({"max_seconds": None}, "max_seconds", "is required (from 1 to 86400)"),
        ({"val_every_steps": 10**9}, "val_every_steps", "from 0 to 100000"),
        ({"aug_translate_px": 1e12}, "aug_translate_px", "from 0 to 256"),
        ({"max_seconds": 10**400}, "max_seconds", "too large"),
    ],
)
def test_huge_advanced_settings_get_a_400_naming_the_field_and_range(
    client_for, project, labeled_video, bob, no_enqueue, advanced, field, allowed
):
    response = client_for(bob).post(
        f"/api/projects/{project.id}/training-jobs/",
        {"preset": "fast", "advanced": advanced},
        format="json",
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["message"] and allowed in body["message"]
    assert body["extra"]["fields"]["advanced"] == {field: [body["message"].split(": ", 2)[2]]}
    assert not TrainingJob.objects.exists() and no_enqueue == []


def test_the_service_refuses_huge_settings_too(project, labeled_video, alice, no_enqueue):
    with pytest.raises(ApplicationError, match="'filters'.*from 1 to 128") as error:
        services.training_job_start(
            project=project, user=alice, preset="fast", advanced={"filters": 10**6}
        )
    assert error.value.extra == {"field": "filters"}


def test_retraining_from_a_run_is_bounded_like_training(client_for, bob):
    from backend.inference.serializers import RetrainSerializer

    serializer = RetrainSerializer(data={"preset": "fast", "advanced": {"crop_size": 10**6}})
    assert not serializer.is_valid()
    assert "crop_size" in serializer.errors["advanced"]


def test_a_third_active_job_by_one_user_is_refused_and_others_still_train(
    client_for, project, labeled_video, alice, bob, no_enqueue
):
    url = f"/api/projects/{project.id}/training-jobs/"
    bob_client = client_for(bob)
    first, second = (bob_client.post(url, {"preset": "fast"}, format="json") for _ in range(2))
    assert (first.status_code, second.status_code) == (201, 201)
    services.job_claim(job_id=first.json()["id"], attempt=1, worker="w1")  # running counts too

    third = bob_client.post(url, {"preset": "fast"}, format="json")
    assert third.status_code == 429
    assert "2 training job(s) queued or running" in third.json()["message"]
    assert TrainingJob.objects.filter(created_by=bob).count() == 2

    assert client_for(alice).post(url, {"preset": "fast"}, format="json").status_code == 201
    bob_client.post(f"/api/training-jobs/{second.json()['id']}/cancel/")
    assert bob_client.post(url, {"preset": "fast"}, format="json").status_code == 201


def test_the_quota_is_a_setting(project, labeled_video, alice, no_enqueue, settings):
    settings.TRAINING_MAX_QUEUED_PER_USER = 1
    services.training_job_start(project=project, user=alice, preset="fast")
    with pytest.raises(ApplicationError, match="the limit is 1") as error:
        services.training_job_start(project=project, user=alice, preset="fast")
    assert error.value.status_code == 429


def _stale(settings):
    return timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)


def test_a_job_whose_worker_died_near_the_memory_limit_is_failed_not_requeued(
    project, labeled_video, alice, no_enqueue, settings
):
    settings.JOB_MAX_ATTEMPTS, settings.TRAINING_MAX_MEMORY_MB = 3, 4000
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w1")
    services.job_beat(job_id=job.id, memory_mb=3900)  # the heartbeat's last reading
    assert services.jobs_reap(now=_stale(settings)) == [job.id]
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("failed", 1)
    assert "stopped while running this job (possibly out of memory" in job.error
    assert "not retried" in job.error and "lower crop size" in job.error
    assert no_enqueue == [(job.id, 1)]  # the first send only: never to another worker


def test_the_peak_memory_reading_is_kept(project, labeled_video, alice, no_enqueue):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w1")
    services.job_beat(job_id=job.id, memory_mb=3000)
    services.job_beat(job_id=job.id, memory_mb=200)
    services.job_report(job_id=job.id, info={"fraction": 0.1, "memory_mb": 900})
    job.refresh_from_db()
    assert job.memory_mb == 3000


def test_a_lost_job_that_was_being_cancelled_ends_cancelled(
    project, labeled_video, alice, no_enqueue, settings
):
    job = services.training_job_start(project=project, user=alice, preset="fast")
    services.job_claim(job_id=job.id, attempt=1, worker="w1")
    services.job_cancel(job=job)
    services.jobs_reap(now=_stale(settings))
    job.refresh_from_db()
    assert job.status == "cancelled" and no_enqueue == [(job.id, 1)]
