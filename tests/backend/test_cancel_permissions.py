"""Cancelling a training job or an inference run: its starter and project owners only.

Three people in every case: the annotator who started the job, the project owner, and
another annotator (plus the reviewer, who ranks above annotators but did not start it).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from backend.inference.models import InferenceRun
from backend.labels.services import labels_save
from backend.projects.models import Membership
from backend.training.models import ModelVersion, TrainingJob
from backend.training.services import snapshot_freeze
from tests.conftest import node_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def carl(project):
    """A second annotator in ``project``."""
    user = get_user_model().objects.create_user(username="carl", password="carl-password-1")
    Membership.objects.create(project=project, user=user, role="annotator")
    return user


@pytest.fixture
def labeled(project, video, alice):
    """Two labeled frames: the least a training snapshot takes."""
    points = [{"node": n, "x": 10.0, "y": 20.0, "visibility": 2} for n in node_ids(project)]
    for index in (0, 5):
        labels_save(
            video=video, frame_index=index, user=alice, version=0, instances=[{"points": points}]
        )


@pytest.fixture
def bobs_job(project, labeled, bob) -> TrainingJob:
    snapshot = snapshot_freeze(project=project, user=bob)
    return TrainingJob.objects.create(
        project=project, snapshot=snapshot, created_by=bob, preset="fast", config={}
    )


@pytest.fixture
def bobs_run(project, labeled, video, bob, alice) -> InferenceRun:
    finished = TrainingJob.objects.create(
        project=project,
        snapshot=snapshot_freeze(project=project, user=alice),
        created_by=alice,
        preset="fast",
        config={},
        status="succeeded",
    )
    version = ModelVersion.objects.create(project=project, job=finished, number=1, config={})
    return InferenceRun.objects.create(
        project=project, model_version=version, video=video, created_by=bob, render_video=False
    )


def _cancel_job(client, job):
    return client.post(f"/api/training-jobs/{job.id}/cancel/")


def _cancel_run(client, run):
    return client.post(f"/api/inference-runs/{run.id}/cancel/")


@pytest.mark.parametrize("cancel", [_cancel_job, _cancel_run], ids=["training", "inference"])
@pytest.mark.parametrize("who", ["carl", "rita"])
def test_another_member_cannot_cancel_it(request, client_for, bobs_job, bobs_run, cancel, who):
    target = bobs_job if cancel is _cancel_job else bobs_run
    response = cancel(client_for(request.getfixturevalue(who)), target)
    assert response.status_code == 403
    assert "started this" in response.json()["message"]
    target.refresh_from_db()
    assert (target.status, target.cancel_requested) == ("queued", False)


@pytest.mark.parametrize("cancel", [_cancel_job, _cancel_run], ids=["training", "inference"])
@pytest.mark.parametrize("who", ["bob", "alice"])
def test_the_starter_and_the_owner_can_cancel_it(
    request, client_for, bobs_job, bobs_run, cancel, who
):
    target = bobs_job if cancel is _cancel_job else bobs_run
    response = cancel(client_for(request.getfixturevalue(who)), target)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


@pytest.mark.parametrize("cancel", [_cancel_job, _cancel_run], ids=["training", "inference"])
def test_outsiders_and_viewers_still_get_404_and_403(
    client_for, bobs_job, bobs_run, eve, vic, cancel
):
    target = bobs_job if cancel is _cancel_job else bobs_run
    assert cancel(client_for(eve), target).status_code == 404
    assert cancel(client_for(vic), target).status_code == 403


def test_a_job_whose_starter_left_can_be_cancelled_by_an_owner_only(
    client_for, bobs_job, bob, carl, alice
):
    TrainingJob.objects.filter(pk=bobs_job.pk).update(created_by=None)
    assert _cancel_job(client_for(carl), bobs_job).status_code == 403
    assert _cancel_job(client_for(alice), bobs_job).status_code == 200
