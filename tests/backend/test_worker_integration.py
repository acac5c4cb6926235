"""A real Celery worker process consumes real broker messages (no eager mode here).

The worker shares the test database (PostgreSQL in CI, a SQLite file otherwise)
and media folder with the test, exactly as a worker on another machine shares
them with the web server in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backend.config.celery import app as celery_app
from backend.videos.models import Video
from tests.conftest import REPO, require

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def _redis_up(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def _env(var_dir: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=_database_url(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        POSEFORGE_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="backend.config.settings",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _start_worker(env: dict[str, str], queues: str = "default,gpu") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backend.config", "worker", "-Q", queues,
         "-c", "1", "--pool", "prefork", "--loglevel", "INFO", "-n", f"test-{os.getpid()}@%h"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out


def _wait_ready(video: Video, timeout: float = 60) -> Video:
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
        require(_redis_up(redis_url), f"Redis is not answering at {redis_url}")
    celery_app.conf.task_always_eager = False
    from backend.videos.services import video_create_from_path

    env = _env(tmp_path / "var", redis_url)
    path, _ = synthetic_video_file
    # The message must go to *this* broker, so a separate producer process configured
    # exactly like the worker enqueues it instead of the test process's on-commit hook.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda *args, **kwargs: None)
    video = video_create_from_path(project=project, path=path)
    worker = _start_worker(env)
    try:
        _enqueue(env, video.id)
        video = _wait_ready(video)
    finally:
        log = _stop(worker)
    assert video.status == Video.Status.READY, log[-3000:]
    assert video.frame_count == 60
    assert (Path(settings.MEDIA_ROOT) / video.thumbnail).is_file()
    assert "videos.process" in log and "succeeded" in log
