"""A real Celery worker process consumes real broker messages (no eager mode here).

The worker shares the test database (PostgreSQL in CI, a SQLite file otherwise)
and media folder with the test, exactly as a worker on another machine shares
them with the web server in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from backend.common import storage
from backend.config.celery import app as celery_app
from backend.videos.models import Video
from tests.conftest import REPO, require
from tests.workers import clean_redis_broker, redis_up, start_worker, stop_worker, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.media, pytest.mark.django_db(transaction=True)]


def _wait_ready(video: Video, timeout: float = 150) -> Video:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video.refresh_from_db()
        if video.status != Video.Status.PROCESSING:
            return video
        time.sleep(0.25)
    return video


def _enqueue(env: dict[str, str], video_id: int) -> None:
    code = (
        "import django; django.setup();"
        "from backend.videos.tasks import video_process;"
        f"video_process.delay({video_id})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=60)


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_real_worker_processes_an_uploaded_video(
    broker, project, synthetic_video_file, tmp_path, monkeypatch
):
    redis_url = None
    if broker == "redis":
        redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
        require(redis_up(redis_url), f"Redis is not answering at {redis_url}")
        clean_redis_broker(redis_url)
    celery_app.conf.task_always_eager = False
    from backend.videos.services import video_create_from_path

    env = worker_env(tmp_path / "var", redis_url)
    path, _ = synthetic_video_file
    # The message must go to *this* broker, so a separate producer process configured
    # exactly like the worker enqueues it instead of the test process's on-commit hook.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda *args, **kwargs: None)
    video = video_create_from_path(project=project, path=path)
    worker = start_worker(env)
    try:
        _enqueue(env, video.id)
        video = _wait_ready(video)
    finally:
        log = stop_worker(worker)
    assert video.status == Video.Status.READY, log[-3000:]
    assert video.frame_count == 60
    assert storage.exists(video.thumbnail)
    assert "videos.process" in log and "succeeded" in log
