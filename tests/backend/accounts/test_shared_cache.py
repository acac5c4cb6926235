"""Login counts are shared by every web process: N gunicorn workers must not allow N
times the attempts. A real second process (the embedded web server) takes the failed
logins; this process then sees the account locked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from rest_framework.test import APIClient

from tests.conftest import REPO
from tests.workers import worker_env

SHARED = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
)


def test_the_cache_is_shared_between_processes():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in SHARED
    if settings.REDIS_URL:
        assert backend.endswith("RedisCache")
        # Its own Redis database: clearing the cache must never drop Celery's queues.
        assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL


def test_the_cache_may_not_share_the_brokers_redis_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        REDIS_URL="redis://127.0.0.1:6379/1", REDIS_CACHE_DB="1",
        POSEFORGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="backend.config.settings",
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "REDIS_CACHE_DB=1 is the Celery broker's database" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the web server exited: {server.communicate()[0]}")
        try:
            requests.get(f"{base}/api/auth/me/", timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    pytest.fail("the web server did not start")


@pytest.fixture
def other_process(settings):
    """The embedded web server in its own process, on this test's database and cache."""
    limits = {"LOGIN_MAX_FAILURES_PER_ACCOUNT": "3", "LOGIN_RATE": "1000/min"}
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_RATE = "1000/min"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.common.server", "--port", str(port)],
        cwd=REPO, env=worker_env(None, settings.REDIS_URL, **limits), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_failures_in_one_process_lock_the_account_in_another(alice, other_process):
    http = requests.Session()
    http.get(f"{other_process}/api/auth/me/", timeout=30)  # the CSRF cookie
    csrf = {"X-CSRFToken": http.cookies["csrftoken"]}
    statuses = [
        http.post(f"{other_process}/api/auth/login/", json={"username": "alice",
                  "password": f"guess-{i}"}, headers=csrf, timeout=30).status_code
        for i in range(3)
    ]  # fmt: skip
    assert statuses == [400, 400, 400]
    here = APIClient().post(
        "/api/auth/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert here.status_code == 429, here.content
