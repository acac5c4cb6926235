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
