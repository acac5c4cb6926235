"""Fixtures for the import/export tests."""

from __future__ import annotations

import pytest

from tests.backend.interchange import helpers


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    """Let helpers.post_committed run job tasks as each request's transaction commits."""
    helpers._capture = django_capture_on_commit_callbacks
    yield
    helpers._capture = None


@pytest.fixture
def project(project):
    """The shared project, without a cap on animals: these tests label several per frame."""
    project.max_instances = None
    project.save(update_fields=["max_instances"])
    return project
