"""Worker faults (issue 7.5, ``make reliability`` only): SIGKILL real Celery workers
mid-training and mid-inference, several times; stop Redis for a while when REDIS_URL
is set. Every job must end succeeded, failed with a message, or resumed; none stuck
running; no attempt run twice; no model version from a cancelled or failed job.

Every kill provably lands mid-job: the doomed workers run ``tests.slow_jobs_app``
(a pause after each progress report), and a kill counts only if the job was
running and had reported progress when the signal went, and was still running
after it. A run that finished before its kill fails the test; so does an
inference run that ends failed (it is retried until it succeeds)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.backend.training.conftest import labeled_video  # noqa: F401 - fixture
from tests.reliability.conftest import record
from tests.workers import (
    kill_worker,
    private_broker,
    redis_up,
    start_worker,
    stop_worker,
    worker_env,
)

pytestmark = [pytest.mark.reliability, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
KILLS = int(os.environ.get("RELIABILITY_KILLS", "3"))
SHORT = {"max_seconds": 10.0, "max_crop_size": 64, "filters": 8}
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
               "--save", "", "--appendonly", "no"]  # the command in .ci/run  # fmt: skip


@pytest.fixture
def broker(settings, tmp_path):
    """Redis in CI; otherwise a private filesystem broker (see tests.workers.private_broker)."""
    settings.JOB_HEARTBEAT_TIMEOUT = 6
    settings.JOB_MAX_ATTEMPTS = KILLS + 1
    with private_broker(tmp_path) as (var_dir, redis_url):
        yield worker_env(var_dir, redis_url, JOB_HEARTBEAT_TIMEOUT="6",
                         JOB_MAX_ATTEMPTS=str(KILLS + 1))  # fmt: skip


def _wait(obj, predicate, timeout: float, what: str, tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        obj.refresh_from_db()
        if predicate(obj):
            return obj
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}: {obj.status} {obj.message} {obj.error}")


def _doomed_worker(env, log):
    """A worker that pauses after each progress report, so a kill lands mid-job."""
    return start_worker({**env, "TEST_JOB_PAUSE_SECONDS": "60"}, log=log,
                        app="tests.slow_jobs_app")  # fmt: skip


def _kill_mid_job(worker, obj, reported, what: str):
    """SIGKILL ``worker`` once ``obj`` runs and has ``reported`` progress; prove both held.

    A job that finished first fails the test: a kill that never landed proves nothing.
    """
    obj = _wait(obj, lambda o: o.status not in ("queued", "running") or (
        o.status == "running" and reported(o)), 240, f"{what} to report progress")  # fmt: skip
    assert obj.status == "running" and reported(obj), f"{what} ended before the kill: {obj.status}"
    kill_worker(worker)
    obj.refresh_from_db()
    assert obj.status == "running" and reported(obj), f"{what} was not mid-job at the kill"
    return obj


def _skips(logs: list[str]) -> int:
    return sum(log.count("skip") for log in logs)


def test_sigkill_training_and_inference_repeatedly(broker, project, labeled_video, alice,  # noqa: F811
                                                   tmp_path, django_capture_on_commit_callbacks):  # fmt: skip
    from backend.inference import services as inference
    from backend.inference.models import InferenceRun
    from backend.training import services as training
    from backend.training.models import ModelVersion, TrainingJob

    logs: list[str] = []
    kills = {"training": 0, "inference": 0}

    def log_of(name):
        return tmp_path / f"{name}.log"

    # 1. Training: killed KILLS times (one attempt each), the last attempt finishes.
    job = training.training_job_start(project=project, user=alice, preset="fast", advanced=SHORT)
    for k in range(KILLS):
        worker = _doomed_worker(broker, log_of(f"train-{k}"))
        job = _kill_mid_job(worker, job, lambda j: j.step > 0 and j.progress > 0, "training")
        kills["training"] += 1
        job = _wait(job, lambda j: j.status != "running", 60, "the reaper",
                    tick=training.jobs_reap)  # fmt: skip
        assert (job.status, job.attempt) == ("queued", k + 2), (job.status, job.attempt)
        logs.append(log_of(f"train-{k}").read_text())
    worker = start_worker(broker, log=log_of("train-final"))
    try:
        job = _wait(job, lambda j: j.status in TrainingJob.FINISHED, 300, "the last attempt")
        # 2. A cancelled job publishes nothing.
        cancelled = training.training_job_start(project=project, user=alice, preset="fast",
                                                advanced={**SHORT, "max_seconds": 120.0})  # fmt: skip
        _wait(cancelled, lambda j: j.status == "running" and j.step > 0, 180, "second job to run")
        training.job_cancel(job=cancelled)
        cancelled = _wait(cancelled, lambda j: j.status == "cancelled", 30, "the cancel")
    finally:
        logs.append(stop_worker(worker) + log_of("train-final").read_text())
    assert job.status == "succeeded", job.error
    assert job.attempt == KILLS + 1
    version = ModelVersion.objects.get(job=job)

    # 3. Inference: kill while running, several times, on a longer video.
    from backend.demo.synthetic import write_synthetic_video
    from backend.videos.services import video_create_from_path

    long_path = tmp_path / "long.mp4"
    write_synthetic_video(long_path, n_frames=900, width=160, height=120)
    with django_capture_on_commit_callbacks(execute=False):
        long_video = video_create_from_path(project=project, path=long_path)
    long_video.status = "ready"
    long_video.save()
    (run,) = inference.inference_run_start(project=project, user=alice, model_version=version,
                                          videos=[long_video], render_video=False)  # fmt: skip
    for k in range(KILLS):
        worker = _doomed_worker(broker, log_of(f"infer-{k}"))
        run = _kill_mid_job(worker, run, lambda r: r.frames_done > 0 and r.progress > 0,
                            "inference")  # fmt: skip
        kills["inference"] += 1
        run = _wait(run, lambda r: r.status != "running", 60, "the run reaper",
                    tick=inference.runs_reap)  # fmt: skip
        logs.append(log_of(f"infer-{k}").read_text())
        assert (run.status, run.attempt) == ("queued", k + 2), (run.status, run.error)
    worker = start_worker(broker, log=log_of("infer-final"))
    try:
        run = _wait(run, lambda r: r.status in InferenceRun.FINISHED, 300, "the inference run",
                    tick=inference.runs_reap)  # fmt: skip
    finally:
        logs.append(stop_worker(worker) + log_of("infer-final").read_text())
    # The last attempt must succeed: a failed run is not a recovery.
    assert run.status == "succeeded", (run.status, run.error)
    assert run.attempt == KILLS + 1

    # 4. Redis away for a while (CI only: REDIS_URL set); never in the default suite.
    redis_outage = _redis_outage(broker, project, alice, tmp_path, logs)

    stuck = TrainingJob.objects.filter(status__in=["running", "queued"]).count()
    stuck += InferenceRun.objects.filter(status__in=["running", "queued"]).count()
    bad_versions = ModelVersion.objects.exclude(job__status="succeeded").count()
    double = sum(
        1 for j in TrainingJob.objects.all() if ModelVersion.objects.filter(job=j).count() > 1
    )
    record(worker_kills=kills["training"] + kills["inference"], training_kills=kills["training"],
           inference_kills=kills["inference"], inference_finished_before_kill=0,
           stuck_jobs=stuck, double_runs=double, versions_from_unsuccessful_jobs=bad_versions,
           redeliveries_refused=_skips(logs), redis_outage_seconds=redis_outage)  # fmt: skip
    assert stuck == 0 and double == 0 and bad_versions == 0
    assert not ModelVersion.objects.filter(job=cancelled).exists()


def _redis_outage(env, project, alice, tmp_path, logs) -> float | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    from backend.training import services as training
    from backend.training.models import TrainingJob

    worker = start_worker(env, log=tmp_path / "redis.log")
    try:
        job = training.training_job_start(project=project, user=alice, preset="fast",
                                          advanced=SHORT)  # fmt: skip
        _wait(job, lambda j: j.status == "running", 180, "training before the outage")
        subprocess.run(["redis-cli", "-u", url, "shutdown", "nosave"], timeout=30, check=False)
        down = time.monotonic()
        time.sleep(15)
        subprocess.run(REDIS_START, timeout=30, check=True)
        while not redis_up(url):
            time.sleep(0.5)
        outage = time.monotonic() - down
        job = _wait(job, lambda j: j.status in TrainingJob.FINISHED, 300, "training after the outage",
                    tick=training.jobs_reap)  # fmt: skip
        assert job.status == "succeeded" or job.error
    finally:
        logs.append(stop_worker(worker))
    return round(outage, 1)
