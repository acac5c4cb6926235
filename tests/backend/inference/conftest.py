"""Fixtures for inference: a tiny trained model (trained once per session, then copied)
and a helper that runs inference eagerly through the API."""

from __future__ import annotations

import shutil

import pytest

from backend.common import storage
from backend.inference import services
from backend.inference.models import ActiveLearningSettings, InferenceRun
from backend.training.models import ModelVersion, TrainingJob
from backend.training.services import model_prefix, snapshot_freeze, training_job_start
from tests.backend.training import conftest as training_fixtures

# A step budget, not a clock: the same model whatever else the machine is doing (with
# 6 s a loaded machine trained 5 steps, whose features clustered into fewer groups than
# the clustering tests ask for). The clock is only a backstop.
TINY = {"max_seconds": 120.0, "max_steps": 40, "max_crop_size": 64, "filters": 8}
labeled_video = training_fixtures.labeled_video  # the 12-frame fixture, shared
# Neither TTA nor the MC-dropout committee (both slow on CPU); test_inference_flow covers TTA.
NO_TTA = {"uncertainty": 1.0, "disagreement": 0.0, "temporal": 1.0, "diversity": 1.0,
          "ensemble_disagreement": 0.0}
_trained: dict[str, object] = {}


@pytest.fixture
def no_enqueue(monkeypatch):
    sent = []
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda run: sent.append(run.id))
    return sent


def _copy_cached_version(project, user) -> ModelVersion:
    job = TrainingJob.objects.create(
        project=project,
        snapshot=snapshot_freeze(project=project, user=user),
        preset="fast",
        config={},
        status=TrainingJob.Status.SUCCEEDED,
    )
    storage.save_dir(model_prefix(job), _trained["dir"])
    return ModelVersion.objects.create(
        project=project,
        job=job,
        number=1,
        artifact_dir=model_prefix(job),
        config=_trained["config"],
    )


@pytest.fixture
def model_version(
    project, labeled_video, alice, django_capture_on_commit_callbacks, tmp_path_factory
):
    """Model v1 of ``project``, trained on the 12 labeled frames of ``labeled_video``."""
    if not _trained:
        with django_capture_on_commit_callbacks(execute=True):
            job = training_job_start(project=project, user=alice, preset="fast", advanced=TINY)
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        version = ModelVersion.objects.get(job=job)
        cache = tmp_path_factory.mktemp("tiny-model") / "model"
        shutil.copytree(storage.local_dir(version.artifact_dir), cache)
        _trained.update(dir=cache, config=version.config)
        return version
    return _copy_cached_version(project, alice)


@pytest.fixture
def infer(client_for, django_capture_on_commit_callbacks):
    """``infer(user, project, version, **body)`` -> the runs, run eagerly through the API."""

    def run(user, project, version, videos, **body) -> list[InferenceRun]:
        payload = {"model_version": version.id, "videos": [v.id for v in videos], **body}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post(
                f"/api/projects/{project.id}/inference-runs/", payload, format="json"
            )
        assert response.status_code == 201, response.json()
        return [InferenceRun.objects.get(pk=r["id"]) for r in response.json()]

    return run


@pytest.fixture
def finished_run(infer, project, model_version, labeled_video, bob):
    """A succeeded run of model v1 over the 60-frame video, with 5 suggestions.

    Ranked without test-time augmentation (slow on CPU); test_inference_flow covers it.
    """
    ActiveLearningSettings.objects.update_or_create(
        project=project, defaults={"weights": NO_TTA, "min_gap": 3}
    )
    (run,) = infer(bob, project, model_version, [labeled_video], suggest=5)
    assert run.status == "succeeded", run.error
    return run
