"""The one job lifecycle (backend.common.jobs): claim once, progress with ETA, cancel,
finish once, and the reaper that Celery beat runs for every job type."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import yaml
from django.core.files.base import ContentFile
from django.utils import timezone

from backend.common import jobs, storage
from backend.common.exceptions import ApplicationError
from backend.interchange.models import ImportExportJob
from backend.labels.models import FramePickJob
from tests.conftest import REPO

pytestmark = pytest.mark.django_db


@pytest.fixture
def pick_job(project, video, alice):
    return FramePickJob.objects.create(project=project, video=video, method="uniform", count=3,
                                       seed=1, created_by=alice)  # fmt: skip


@pytest.fixture
def import_job(alice):
    job = ImportExportJob(uid=uuid.uuid4().hex, kind="import", created_by=alice, format="zip")
    job.input_file.save("upload.zip", ContentFile(b"PK not really"), save=False)
    job.save()
    return job


def _stale(settings):
    return timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)


def test_every_job_type_uses_the_lifecycle():
    names = {m.__name__ for m in jobs.job_models()}
    assert names == {"TrainingJob", "InferenceRun", "RetrackJob", "FramePickJob", "ImportExportJob",
                     "PretrainJob"}


def test_a_job_is_claimed_once_and_ends_once(pick_job):
    assert jobs.claim(FramePickJob, pick_job.id, worker="w1")
    assert not jobs.claim(FramePickJob, pick_job.id, worker="w2")  # a redelivered message
    pick_job.refresh_from_db()
    assert (pick_job.status, pick_job.worker) == ("running", "w1")
    assert pick_job.started_at and pick_job.heartbeat_at
    assert jobs.finish(FramePickJob, pick_job.id, message="done")
    assert not jobs.fail(FramePickJob, pick_job.id, error="late failure")
    pick_job.refresh_from_db()
    assert (pick_job.status, pick_job.progress, pick_job.error) == ("succeeded", 1.0, "")


def test_an_old_attempt_cannot_claim(pick_job):
    FramePickJob.objects.filter(pk=pick_job.pk).update(attempt=2)
    assert not jobs.claim(FramePickJob, pick_job.id, worker="w", attempt=1)
    assert jobs.claim(FramePickJob, pick_job.id, worker="w", attempt=2)


def test_progress_records_eta_and_heartbeat_and_sees_a_cancel(pick_job, monkeypatch):
    jobs.claim(FramePickJob, pick_job.id, worker="w")
    FramePickJob.objects.filter(pk=pick_job.pk).update(heartbeat_at=None)
    progress = jobs.Progress(FramePickJob, pick_job.id)
    clock = iter([100.0, 110.0])  # ten seconds for the first quarter
    monkeypatch.setattr(jobs.time, "monotonic", lambda: next(clock, 110.0))
    progress.started = next(clock)
    assert progress(0.25, "Reading frames") is False
    pick_job.refresh_from_db()
    assert (pick_job.progress, pick_job.message) == (0.25, "Reading frames")
    assert pick_job.eta_seconds == pytest.approx(30.0)
    assert pick_job.heartbeat_at is not None
    jobs.request_cancel(pick_job)
    assert progress(0.5, "Reading frames") is True  # the next report says stop


def test_cancel_of_a_queued_job_is_immediate_and_a_finished_one_refuses(pick_job):
    job = jobs.request_cancel(pick_job)
    assert (job.status, job.cancel_requested) == ("cancelled", True)
    assert not jobs.claim(FramePickJob, job.id, worker="w")
    with pytest.raises(ApplicationError, match="frame picking job has already cancelled"):
        jobs.request_cancel(job)


def test_the_reaper_fails_a_silent_pick_job_with_a_message(settings, pick_job, project, video):
    fresh = FramePickJob.objects.create(project=project, video=video, method="uniform",
                                        count=3, seed=2)  # fmt: skip
    jobs.claim(FramePickJob, pick_job.id, worker="celery@gpu1")
    jobs.claim(FramePickJob, fresh.id, worker="celery@gpu2")
    later = _stale(settings)
    FramePickJob.objects.filter(pk=fresh.pk).update(heartbeat_at=later)  # it still beats
    assert jobs.reap(now=later) == {"labels.FramePickJob": [pick_job.id]}
    pick_job.refresh_from_db()
    assert pick_job.status == "failed" and pick_job.finished_at is not None
    assert "The worker celery@gpu1 stopped while running this frame picking job" in pick_job.error
    assert "not retried" in pick_job.error and pick_job.message.startswith("Failed")
    fresh.refresh_from_db()
    assert fresh.status == "running"
    assert jobs.reap(now=later) == {}  # nothing left to do; never a second transition


def test_the_reaper_fails_a_lost_import_and_deletes_its_upload(settings, import_job):
    key = import_job.input_file.name
    jobs.claim(ImportExportJob, import_job.id, worker="w")
    assert jobs.reap(now=_stale(settings)) == {"interchange.ImportExportJob": [import_job.id]}
    import_job.refresh_from_db()
    assert import_job.status == "failed" and "stopped while running" in import_job.error
    assert not import_job.input_file and not storage.exists(key)


def test_a_lost_job_that_was_being_cancelled_ends_cancelled(settings, pick_job):
    jobs.claim(FramePickJob, pick_job.id, worker="w")
    FramePickJob.objects.filter(pk=pick_job.pk).update(cancel_requested=True)
    jobs.reap(now=_stale(settings))
    pick_job.refresh_from_db()
    assert pick_job.status == "cancelled" and "worker stopped" in pick_job.message


def test_a_running_job_without_any_heartbeat_is_reaped_from_its_claim_time(settings, pick_job):
    jobs.claim(FramePickJob, pick_job.id, worker="w")
    FramePickJob.objects.filter(pk=pick_job.pk).update(heartbeat_at=None)
    assert jobs.reap(now=_stale(settings)) == {"labels.FramePickJob": [pick_job.id]}


def test_heartbeats_stay_well_inside_the_timeout(settings):
    settings.JOB_HEARTBEAT_SECONDS, settings.JOB_HEARTBEAT_TIMEOUT = 5, 3
    assert jobs.heartbeat_seconds() == pytest.approx(1.0)
    settings.JOB_HEARTBEAT_TIMEOUT = 120
    assert jobs.heartbeat_seconds() == 5


def test_celery_beat_sends_the_reaper_on_a_schedule(settings):
    from backend.common.tasks import reap_jobs
    from backend.config.celery import app

    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == reap_jobs.name]
    assert entry["schedule"] == settings.JOB_REAPER_SECONDS
    assert entry["options"]["expires"] <= settings.JOB_REAPER_SECONDS  # no pile-up when busy
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


def test_the_run_command_and_docker_compose_start_beat():
    from backend.demo.management.commands.serve import worker_command

    argv = worker_command("python", "host")
    assert "-B" in argv and "default,gpu" in argv
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    command = services["beat"]["command"]
    assert "celery -A backend.config beat" in command
    assert "beat" not in services["worker"]["command"]  # exactly one scheduler


def test_reading_a_job_reaps_nothing(settings, client_for, project, alice):
    """Reaping is beat's job; a GET is a read, even of a job whose worker went silent."""
    from backend.training.models import LabelSnapshot, TrainingJob

    snapshot = LabelSnapshot.objects.create(project=project, sha256="x", frame_count=0,
                                            content={})  # fmt: skip
    job = TrainingJob.objects.create(project=project, snapshot=snapshot, preset="fast",
                                     config={}, created_by=alice)  # fmt: skip
    jobs.claim(TrainingJob, job.id, worker="w")
    TrainingJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 5)
    )
    client = client_for(alice)
    assert client.get(f"/api/projects/{project.id}/training-jobs/").status_code == 200
    assert client.get(f"/api/training-jobs/{job.id}/").status_code == 200
    job.refresh_from_db()
    assert job.status == "running"
