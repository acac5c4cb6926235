"""Shared fixtures: three-plus people (owner, annotator, reviewer, viewer, outsider),
a project with a skeleton, and a small synthetic video the repo generates itself.

Unit tests run Celery tasks eagerly; tests marked ``worker`` start a real
worker process instead (see tests/backend/test_worker_integration.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from backend.config.celery import app as celery_app
from tests import media_storage

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]


def require(condition: bool, reason: str) -> None:
    """Skip on a user's laptop when a service is missing; fail under CI, where nothing may be skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    path = Path(django_settings.POSEFORGE_DATA_DIR)
    if not path.is_dir():
        pytest.skip(f"real data set folder {path} is absent (set POSEFORGE_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 (PYTEST_MEDIA_STORAGE=s3); yields its URL."""
    try:
        server, url = media_storage.start_server()
    except ImportError as exc:  # moto[server] is in requirements-dev.txt
        require(False, f"PYTEST_MEDIA_STORAGE=s3 needs moto[server]: {exc}")
    yield url
    server.stop()


@pytest.fixture(autouse=True)
def _media_and_eager(request, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_CACHE_DIR = tmp_path / "media-cache"
    s3_url = None
    if media_storage.s3_selected():
        s3_url = request.getfixturevalue("s3_server")
        options = media_storage.storage_options(s3_url)
        settings.MEDIA_STORAGE = "s3"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        }
    # Fast hashing: test users are created in almost every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # An upload would otherwise queue a 3-minute pretraining (eagerly, here); the tests
    # of that hook turn it back on.
    settings.PRETRAIN_ON_UPLOAD = False
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
    if s3_url is not None:
        media_storage.empty_folder(s3_url, options["location"])


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _fresh_login_guard(request, settings):
    """Each test starts with no login counts or lockouts (they live in the shared cache:
    Redis, or a database table that transactional tests do not roll back).

    Tests that fail logins on purpose in bulk (authorization matrix, fuzzing) must not
    lock the made-up account they use; tests/backend/accounts sets its own limits."""
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 100
    uses_db = request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(
        request.fixturenames
    )
    if not uses_db:
        return  # nothing can sign in without a database
    request.getfixturevalue("db")
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def synthetic_video_file(tmp_path_factory) -> tuple[Path, object]:
    from backend.demo.synthetic import write_synthetic_video

    path = tmp_path_factory.mktemp("video") / "synthetic.mp4"
    video = write_synthetic_video(path, n_frames=60, width=160, height=120)
    return path, video


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, password=f"{username}-password-1"
    )


@pytest.fixture
def alice(db):
    """Owner of ``project``."""
    return _user("alice")


@pytest.fixture
def bob(db):
    """Annotator in ``project``."""
    return _user("bob")


@pytest.fixture
def rita(db):
    """Reviewer in ``project``."""
    return _user("rita")


@pytest.fixture
def vic(db):
    """Viewer in ``project``."""
    return _user("vic")


@pytest.fixture
def eve(db):
    """Outsider: member of no project."""
    return _user("eve")


@pytest.fixture
def project(alice, bob, rita, vic):
    from backend.projects.models import Membership
    from backend.projects.services import project_create, skeleton_update

    project = project_create(name="Open field", owner=alice)
    for user, role in [(bob, "annotator"), (rita, "reviewer"), (vic, "viewer")]:
        Membership.objects.create(project=project, user=user, role=role)
    skeleton_update(
        project=project,
        data={
            "nodes": [{"name": "snout"}, {"name": "left_ear"}, {"name": "right_ear"}],
            "edges": [["snout", "left_ear"], ["snout", "right_ear"]],
            "symmetries": [["left_ear", "right_ear"]],
        },
    )
    return project


@pytest.fixture
def video(project, synthetic_video_file):
    from backend.videos.services import video_create_from_path

    path, _ = synthetic_video_file
    return video_create_from_path(project=project, path=path)


@pytest.fixture
def client_for():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave files for people (screenshots linked from the README)."""
    path = REPO / "docs" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def node_ids(project) -> list[int]:
    return list(project.nodes.values_list("id", flat=True))


__all__ = ["require", "node_ids", "IN_CI", "REPO", "shutil"]
