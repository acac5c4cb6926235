"""TRACK_LOCK_SECONDS: how long a proofreader's range lock holds without a renewal."""

from __future__ import annotations

from datetime import datetime

import pytest

from backend.inference.models import InferenceRun
from tests.backend.inference.test_multi_instance import _two_mice, _write, version  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_range_lock_lasts_track_lock_seconds(settings, client_for, project, video, version, bob):  # noqa: F811
    run = InferenceRun.objects.create(
        project=project, model_version=version, video=video, created_by=bob,
        status=InferenceRun.Status.SUCCEEDED,
        predictions_file=_write(f"lock-{video.id}", ["mouse-a", "mouse-b"], **_two_mice()),
    )  # fmt: skip
    settings.TRACK_LOCK_SECONDS = 45
    url = f"/api/inference-runs/{run.id}/tracks/locks/"
    lock = client_for(bob).post(url, {"start": 0, "stop": 5}, format="json").json()["lock"]
    held = datetime.fromisoformat(lock["expires"]) - datetime.fromisoformat(lock["since"])
    assert held.total_seconds() == 45
