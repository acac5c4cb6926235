"""Training on a real worker process: success, cancel within seconds, and SIGKILL mid-training.

A killed worker must never leave a job "running" forever or train it twice:
the reaper requeues a job whose heartbeat went stale with a new attempt
number, and a message of an old attempt is ignored by the claim.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from backend.training import services
from backend.training.models import ModelVersion, TrainingJob
from tests.workers import private_broker, start_worker, stop_worker, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SHORT = {"max_seconds": 12.0, "max_crop_size": 64, "filters": 8}


@pytest.fixture
def real_broker(tmp_path):
    """Redis in CI; otherwise a filesystem broker private to this test, so no other worker
    on this machine (another test run, ``make run``) can take its messages."""
    with private_broker(tmp_path) as (var_dir, redis_url):
        yield worker_env(var_dir, redis_url, JOB_HEARTBEAT_TIMEOUT="6")


def _wait(job: TrainingJob, predicate, timeout: float, what: str) -> TrainingJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if predicate(job):
            return job
        time.sleep(0.3)
    raise AssertionError(
        f"timed out waiting for {what}; job is {job.status}: {job.message} {job.error}"
    )


def test_cancel_stops_a_running_job_within_seconds(
    real_broker, project, labeled_video, alice, tmp_path
):
    worker = start_worker(real_broker, log=tmp_path / "worker.log")
    try:
        job = services.training_job_start(
            project=project, user=alice, preset="fast", advanced={"max_seconds": 120.0}
        )
        _wait(job, lambda j: j.status == "running" and j.step > 0, 150, "training to start")
        services.job_cancel(job=job)
        asked = time.monotonic()
        job = _wait(job, lambda j: j.status == "cancelled", 30, "the cancel")
        assert time.monotonic() - asked < 10
    finally:
        stop_worker(worker)
    assert not ModelVersion.objects.exists()


def test_sigkill_mid_training_requeues_once_and_finishes(
    real_broker, project, labeled_video, alice, settings, tmp_path
):
    settings.JOB_HEARTBEAT_TIMEOUT = 6
    # Pauses after each progress report, so the kill lands mid-training however fast it runs.
    first = start_worker({**real_broker, "TEST_JOB_PAUSE_SECONDS": "60"}, log=tmp_path / "first.log",
                         app="tests.slow_jobs_app")  # fmt: skip
    try:
        job = services.training_job_start(
            project=project, user=alice, preset="fast", advanced=SHORT
        )
        _wait(job, lambda j: j.status == "running" and j.step > 0, 150, "training to start")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker: main process and pool child
        first.wait()
    job.refresh_from_db()
    assert job.status == "running" and job.step > 0  # mid-job; only the heartbeat can tell now
    _wait(job, lambda j: services.jobs_reap() or j.status != "running", 30, "the reaper")
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("queued", 2)
    second = start_worker(real_broker, log=tmp_path / "second.log")
    try:
        job = _wait(job, lambda j: j.status in TrainingJob.FINISHED, 240, "the retried job")
    finally:
        log = stop_worker(second) + (tmp_path / "second.log").read_text()
    assert job.status == "succeeded", job.error or log[-3000:]
    assert job.attempt == 2
    assert ModelVersion.objects.filter(job=job).count() == 1
    assert ModelVersion.objects.count() == 1


def test_the_memory_guard_fails_an_oversized_job_and_the_worker_trains_the_next(
    real_broker, project, labeled_video, alice, tmp_path
):
    """Settings each in range but too big together: the job fails, the worker survives."""
    env = {**real_broker, "TRAINING_MAX_MEMORY_MB": "900"}
    worker = start_worker(env, log=tmp_path / "worker.log")
    try:
        big = services.training_job_start(project=project, user=alice, preset="fast", advanced={
            "max_seconds": 60.0, "crop_size": 1024, "filters": 128, "filters_rate": 2.0,
            "batch_size": 64})  # fmt: skip
        big = _wait(big, lambda j: j.status in TrainingJob.FINISHED, 150, "the guard")
        assert big.status == "failed" and "used more than 900 MB" in big.error, big.error
        assert worker.poll() is None  # the worker process is still there
        small = services.training_job_start(
            project=project, user=alice, preset="fast", advanced=SHORT
        )
        small = _wait(small, lambda j: j.status in TrainingJob.FINISHED, 240, "the next job")
    finally:
        log = stop_worker(worker) + (tmp_path / "worker.log").read_text()
    assert small.status == "succeeded", small.error or log[-3000:]
    assert small.worker == big.worker  # the same worker
    assert ModelVersion.objects.filter(job=big).count() == 0
