"""SIGKILL a real worker mid-job: frame picking and an import end failed, with a message,
within the reaper's period (Celery beat sends it), never left "running".

Each kill provably lands mid-job: the worker runs ``tests.slow_jobs_app``, which
pauses after every progress report, and the test kills only once the job is
running, has reported progress and is still heart-beating. A second worker with
beat embedded (as ``manage.py serve`` runs it) then reaps the job; the test never
calls the reaper itself.
"""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.common import storage
from backend.common.jobs import Job
from backend.interchange.models import ImportExportJob
from backend.labels.models import FramePickJob
from tests.backend.training.conftest import labeled_video  # noqa: F401 - fixture
from tests.workers import (
    kill_worker,
    private_broker,
    start_worker,
    stop_worker,
    wait_for_log,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
HEARTBEAT_TIMEOUT, REAPER_SECONDS = 3, 1
# A worker takes a while to start on a busy 2-core machine; beat's first send follows.
START_SLACK = 10


@pytest.fixture
def env(settings, tmp_path):
    settings.JOB_HEARTBEAT_TIMEOUT = HEARTBEAT_TIMEOUT
    with private_broker(tmp_path) as (var_dir, redis_url):
        yield worker_env(var_dir, redis_url, JOB_HEARTBEAT_TIMEOUT=str(HEARTBEAT_TIMEOUT),
                         JOB_REAPER_SECONDS=str(REAPER_SECONDS))  # fmt: skip


def _wait(job: Job, predicate, timeout: float, what: str, log=None) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if predicate(job):
            return job
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}: {job.status} {job.progress} "
                         f"{job.message!r} {job.error!r}\n{tail}")  # fmt: skip


def _kill_mid_job(env, tmp_path, start_job) -> Job:
    """Start a slowed worker, start the job, and SIGKILL the worker once the job is running,
    has reported progress and keeps beating. Returns the job as the database saw it then."""
    log = tmp_path / "doomed.log"
    doomed = start_worker({**env, "TEST_JOB_PAUSE_SECONDS": "120"}, queues="default", log=log,
                          app="tests.slow_jobs_app")  # fmt: skip
    try:
        job = start_job()
        job = _wait(job, lambda j: j.progress > 0 or j.status in Job.FINISHED, 180,
                    "the job to report progress", log)  # fmt: skip
        assert job.status == "running" and 0 < job.progress < 1, (job.status, job.error)
        beat = job.heartbeat_at
        time.sleep(HEARTBEAT_TIMEOUT)  # longer than a beat interval: the thread must beat
        job.refresh_from_db()
        assert job.status == "running" and job.heartbeat_at > beat, "no heartbeat mid-job"
    finally:
        kill_worker(doomed)
    job.refresh_from_db()
    assert job.status == "running" and job.progress > 0  # only a heartbeat could tell now
    return job


def _reaped_by_beat(env, tmp_path, job: Job) -> tuple[Job, float]:
    """A fresh worker with beat; the job must end within the reaper's period once it is up."""
    log = tmp_path / "reaper.log"
    reaper = start_worker(env, queues="default", log=log,
                          beat_schedule=tmp_path / "beat-schedule")  # fmt: skip
    try:
        wait_for_log(log, "ready.", 180)
        up = time.monotonic()
        limit = HEARTBEAT_TIMEOUT + REAPER_SECONDS + START_SLACK
        job = _wait(job, lambda j: j.status != "running", limit, "the reaper", log)
        return job, time.monotonic() - up
    finally:
        stop_worker(reaper)


def test_a_worker_killed_while_picking_frames_leaves_a_failed_job(
    env, tmp_path, project, video, alice
):
    from backend.labels.picking import pick_job_create

    def start():
        return pick_job_create(video=video, user=alice, method="kmeans", count=4, seed=1)

    job = _kill_mid_job(env, tmp_path, start)
    job, took = _reaped_by_beat(env, tmp_path, job)
    assert job.status == "failed", (job.status, job.message)
    assert f"The worker {job.worker} stopped while running this frame picking job" in job.error
    assert job.message.startswith("Failed") and job.finished_at is not None
    assert job.frames == [] and job.created_frames == 0  # it never got to pick
    assert took <= HEARTBEAT_TIMEOUT + REAPER_SECONDS + START_SLACK
    assert not FramePickJob.objects.filter(status="running").exists()


def test_a_worker_killed_during_an_import_leaves_a_failed_job_and_no_upload(
    env, tmp_path, project, labeled_video, alice  # noqa: F811
):
    from backend.interchange.services import import_job_create, project_export
    from backend.projects.models import Project

    archive = project_export(project=project, format="dlc", labels="all", user=alice,
                             dest=tmp_path / "export.zip")  # fmt: skip
    upload = SimpleUploadedFile("open-field.zip", archive.read_bytes())
    before = set(Project.objects.values_list("id", flat=True))

    job = _kill_mid_job(
        env, tmp_path, lambda: import_job_create(user=alice, upload=upload, project_name="Copy")
    )
    assert job.input_file  # the upload is still there: the worker died before its cleanup
    upload_key = job.input_file.name
    job, took = _reaped_by_beat(env, tmp_path, job)
    assert job.status == "failed", (job.status, job.message)
    assert f"The worker {job.worker} stopped while running this import/export job" in job.error
    assert took <= HEARTBEAT_TIMEOUT + REAPER_SECONDS + START_SLACK
    assert not job.input_file and not storage.exists(upload_key)
    assert set(Project.objects.values_list("id", flat=True)) == before  # nothing half-imported
    assert not ImportExportJob.objects.filter(status="running").exists()
