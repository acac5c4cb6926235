"""Settings, layout and wiring: the things that must hold before any feature works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from rest_framework.test import APIClient

from tests.conftest import REPO


def _settings_error(**env: str) -> str:
    code = "import django; django.setup()"
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.config.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=full_env, capture_output=True, text=True
    )
    return result.stderr if result.returncode else ""


@pytest.mark.parametrize(
    "env,message",
    [
        ({"DEBUG": "ture"}, "DEBUG='ture' is not a boolean"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"MAX_VIDEO_UPLOAD_MB": "lots"}, "MAX_VIDEO_UPLOAD_MB='lots' is not an integer"),
        ({"SECRET_KEY": "short"}, "at least 32 characters"),
        ({"TRACK_LOCK_SECONDS": "5"}, "TRACK_LOCK_SECONDS=5 must be at least 10"),
    ],
)
def test_bad_settings_fail_loudly(env, message):
    assert message in _settings_error(**env)


def test_the_web_process_never_imports_torch():
    code = (
        "import sys, django; django.setup();"
        "from django.test import Client; import backend.config.urls;"
        "import backend.videos.tasks, backend.interchange.urls;"
        "import backend.training.tasks, backend.inference.tasks, backend.inference.predictions;"
        "assert 'torch' not in sys.modules, 'torch imported by the web process'"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.config.settings"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True)


def test_docker_compose_names_the_services():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "cpu-worker"} <= services.keys()
    assert "-Q gpu" in services["worker"]["command"]
    gpu = services["worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    assert services["worker"]["environment"]["REDIS_URL"].startswith("redis://")


def test_env_example_documents_every_setting():
    text = (REPO / ".env.example").read_text()
    for name in ["SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"]:
        assert f"\n{name}=" in text


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/videos/{video_id}/frames/{index}/labels/" in paths
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_login_is_csrf_protected(alice):
    client = APIClient(enforce_csrf_checks=True)
    credentials = {"username": "alice", "password": "alice-password-1"}
    assert client.post("/api/auth/login/", credentials, format="json").status_code == 403
    client.get("/api/auth/me/")
    token = client.cookies["csrftoken"].value
    response = client.post("/api/auth/login/", credentials, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert client.get("/api/auth/me/").json()["user"]["username"] == "alice"


@pytest.mark.django_db
def test_session_writes_need_csrf(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/api/projects/", {"name": "x"}, format="json").status_code == 403


@pytest.mark.django_db
def test_token_auth_for_scripts(alice):
    response = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": "alice-password-1"}, format="json"
    )
    token = response.json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/projects/", {"name": "scripted"}, format="json").status_code == 201


@pytest.mark.django_db
def test_wrong_password_is_a_clear_400(alice):
    response = APIClient().post(
        "/api/auth/login/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Wrong username or password."


@pytest.mark.django_db
def test_security_headers_on_every_response():
    response = APIClient().get("/api/auth/me/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_demo_project_is_ready_to_label_and_train(settings, tmp_path):
    from backend.demo.services import DEMO_PROJECT, demo_seed
    from backend.labels.models import LabeledFrame

    project = demo_seed(n_frames=60)
    assert project.name == DEMO_PROJECT
    assert project.nodes.count() == 6 and project.symmetries.count() == 1
    video = project.videos.get()
    assert video.frame_count == 60
    assert LabeledFrame.objects.filter(video=video, status="approved").count() >= 3
    assert demo_seed(n_frames=60).id == project.id  # idempotent
