"""Start and stop real Celery worker processes that share a test's database, media and broker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests import media_storage
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
        # a worker would otherwise pretrain for minutes after each upload, ahead of the
        # test's own jobs
        PRETRAIN_ON_UPLOAD="0",
        **media_storage.worker_env(),
        **extra,
    )
    if var_dir is not None:
        env["POSEFORGE_VAR_DIR"] = str(var_dir)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_worker(
    env: dict[str, str],
    queues: str = "default,gpu",
    log: Path | None = None,
    *,
    app: str = "backend.config",
    beat_schedule: Path | None = None,
) -> subprocess.Popen:
    """A real worker in its own process group (so a test can SIGKILL all of it).

    ``app="tests.slow_jobs_app"`` pauses after each job progress report (see there);
    ``beat_schedule`` embeds Celery beat (``-B``, as ``manage.py serve`` does), keeping
    its schedule in that file, so the job reaper runs on its period.
    """
    out = log.open("w") if log else subprocess.PIPE
    beat = ["-B", "-s", str(beat_schedule)] if beat_schedule else []
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queues, *beat,
         "-c", "1", "--pool", "prefork", "--loglevel", "INFO", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the whole worker (main process, pool child, embedded beat): no cleanup runs."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def wait_for_log(log: Path, text: str, timeout: float) -> float:
    """Seconds until ``text`` shows in the worker's log (e.g. "ready."); fails on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if log.exists() and text in log.read_text(errors="replace"):
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {log} after {timeout} s:\n{log.read_text()[-3000:]}")


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


def _reset_pool() -> None:
    """Forget open broker connections, so the next send uses the current transport options."""
    from backend.config.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def private_broker(tmp_path: Path):
    """Redis when REDIS_URL is set (CI; its queues emptied first), else a filesystem broker
    in ``tmp_path``, so no other test run on this machine can take this test's messages.
    Yields ``(var_dir or None, redis_url or None)`` for :func:`worker_env`."""
    from backend.config.celery import app
    from tests.conftest import require

    redis_url = os.environ.get("REDIS_URL")
    var_dir, saved = None, dict(app.conf.broker_transport_options or {})
    if redis_url:
        require(redis_up(redis_url), f"Redis is not answering at {redis_url}")
        clean_redis_broker(redis_url)
    else:
        var_dir = tmp_path / "var"
        folders = {sub: var_dir / "broker" / sub for sub in ("out", "processed", "control")}
        for folder in folders.values():
            folder.mkdir(parents=True)
        app.conf.broker_transport_options = {
            **saved, "data_folder_in": str(folders["out"]), "data_folder_out": str(folders["out"]),
            "processed_folder": str(folders["processed"]), "control_folder": str(folders["control"]),
        }  # fmt: skip
        _reset_pool()
    app.conf.task_always_eager = False
    try:
        yield var_dir, redis_url
    finally:
        if var_dir is not None:  # Redis: nothing changed (and kombu caches its producer pool)
            app.conf.broker_transport_options = saved
            _reset_pool()
