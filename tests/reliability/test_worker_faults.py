"""Worker faults (issue 7.5, ``make reliability`` only): SIGKILL real Celery workers
mid-training and mid-inference, several times; stop Redis for a while when REDIS_URL
is set. Every job must end succeeded, failed with a message, or resumed; none stuck
running; no attempt run twice; no model version from a cancelled or failed job."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from backend.config.celery import app as celery_app
from tests.backend.training.conftest import labeled_video  # noqa: F401 - fixture
from tests.conftest import require
from tests.reliability.conftest import record
from tests.workers import clean_redis_broker, redis_up, start_worker, stop_worker, worker_env

pytestmark = [pytest.mark.reliability, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
KILLS = int(os.environ.get("RELIABILITY_KILLS", "3"))
SHORT = {"max_seconds": 10.0, "max_crop_size": 64, "filters": 8}
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
               "--save", "", "--appendonly", "no"]  # the command in .ci/run  # fmt: skip


def _reset_pool() -> None:
    """Forget open broker connections, so the next send uses the current transport options."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(settings, tmp_path):
    """Redis in CI; otherwise a private filesystem broker, so no other test run on this
    machine (sharing var/broker) can take this test's messages."""
    redis_url = os.environ.get("REDIS_URL")
    var_dir, saved = None, dict(celery_app.conf.broker_transport_options or {})
    if redis_url:
        require(redis_up(redis_url), f"Redis is not answering at {redis_url}")
        clean_redis_broker(redis_url)
    else:
        var_dir = tmp_path / "var"
        folders = {sub: var_dir / "broker" / sub for sub in ("out", "processed", "control")}
        for folder in folders.values():
            folder.mkdir(parents=True)
        celery_app.conf.broker_transport_options = {
            **saved, "data_folder_in": str(folders["out"]), "data_folder_out": str(folders["out"]),
            "processed_folder": str(folders["processed"]), "control_folder": str(folders["control"]),
        }  # fmt: skip
        _reset_pool()
    celery_app.conf.task_always_eager = False
    settings.JOB_HEARTBEAT_TIMEOUT = 6
    settings.JOB_MAX_ATTEMPTS = KILLS + 1
    yield worker_env(var_dir, redis_url, JOB_HEARTBEAT_TIMEOUT="6", JOB_MAX_ATTEMPTS=str(KILLS + 1))
    celery_app.conf.broker_transport_options = saved
    _reset_pool()


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


def _kill(worker) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def _skips(logs: list[str]) -> int:
    return sum(log.count("skip") for log in logs)


def test_sigkill_training_and_inference_repeatedly(broker, project, labeled_video, alice,  # noqa: F811
                                                   tmp_path, django_capture_on_commit_callbacks):  # fmt: skip
    from backend.inference import services as inference
    from backend.inference.models import InferenceRun
    from backend.training import services as training
    from backend.training.models import ModelVersion, TrainingJob

    logs: list[str] = []
    kills = {"training": 0, "inference": 0, "missed": 0}

    def log_of(name):
        return tmp_path / f"{name}.log"

    # 1. Training: killed KILLS times (one attempt each), the last attempt finishes.
    job = training.training_job_start(project=project, user=alice, preset="fast", advanced=SHORT)
    for k in range(KILLS):
        worker = start_worker(broker, log=log_of(f"train-{k}"))
        _wait(job, lambda j: j.status == "running" and j.step > 0, 180, "training to run")
        _kill(worker)
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
        worker = start_worker(broker, log=log_of(f"infer-{k}"))
        run = _wait(run, lambda r: r.status != "queued", 180, "inference to start")
        if run.status != "running":
            kills["missed"] += 1
            logs.append(stop_worker(worker))
            break
        time.sleep(1.0)
        _kill(worker)
        kills["inference"] += 1
        run = _wait(run, lambda r: r.status != "running", 60, "the run reaper",
                    tick=inference.runs_reap)  # fmt: skip
        logs.append(log_of(f"infer-{k}").read_text())
        if run.status != "queued":
            break
    worker = start_worker(broker, log=log_of("infer-final"))
    try:
        run = _wait(run, lambda r: r.status in InferenceRun.FINISHED, 300, "the inference run",
                    tick=inference.runs_reap)  # fmt: skip
    finally:
        logs.append(stop_worker(worker) + log_of("infer-final").read_text())
    assert run.status == "succeeded" or (run.status == "failed" and run.error), run.error

    # 4. Redis away for a while (CI only: REDIS_URL set); never in the default suite.
    redis_outage = _redis_outage(broker, project, alice, tmp_path, logs)

    stuck = TrainingJob.objects.filter(status__in=["running", "queued"]).count()
    stuck += InferenceRun.objects.filter(status__in=["running", "queued"]).count()
    bad_versions = ModelVersion.objects.exclude(job__status="succeeded").count()
    double = sum(
        1 for j in TrainingJob.objects.all() if ModelVersion.objects.filter(job=j).count() > 1
    )
    record(worker_kills=kills["training"] + kills["inference"], training_kills=kills["training"],
           inference_kills=kills["inference"], inference_finished_before_kill=kills["missed"],
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
