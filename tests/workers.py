"""Start and stop real Celery worker processes that share a test's database, media and broker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.conftest import REPO


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def redis_up(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def worker_env(var_dir: Path | None, redis_url: str | None, **extra: str) -> dict[str, str]:
    """Environment for a worker that shares this test's database, media and broker."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=database_url(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        **extra,
    )
    if var_dir is not None:
        env["POSEFORGE_VAR_DIR"] = str(var_dir)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_worker(
    env: dict[str, str], queues: str = "default,gpu", log: Path | None = None
) -> subprocess.Popen:
    """A real worker in its own process group (so a test can SIGKILL all of it)."""
    out = log.open("w") if log else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backend.config", "worker", "-Q", queues,
         "-c", "1", "--pool", "prefork", "--loglevel", "INFO", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, 9)
        out, _ = worker.communicate()
    return out or ""


def clean_redis_broker(url: str) -> None:
    """Drop queued and unacknowledged messages a previous run (or a killed worker) left behind."""
    import redis

    client = redis.Redis.from_url(url)
    client.delete("default", "gpu", "unacked", "unacked_index", "unacked_mutex")
    client.close()
