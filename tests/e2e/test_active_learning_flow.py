"""Active learning in the browser, on a real worker: run a model on a video, review the frames it suggests.

A tiny model is trained through the service layer on the real worker (12 labeled
frames of the 60-frame fixture video); the browser then runs it on the video with
5 suggestions, follows the run to the end, opens the suggestions page, accepts one
frame and dismisses another. The database must show the decisions, and the
accepted frame a label whose history says it came from a suggestion.
"""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import expect

from backend.config.celery import app as celery_app
from backend.inference.models import ActiveLearningSettings, InferenceRun, Suggestion
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from backend.training.models import ModelVersion, TrainingJob
from backend.training.services import training_job_start
from tests.conftest import require
from tests.e2e.conftest import login
from tests.workers import clean_redis_broker, redis_up, start_worker, stop_worker, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TINY = {"max_seconds": 6.0, "max_crop_size": 64, "filters": 8}
# Test-time augmentation (the disagreement score) is slow on CPU; the other strategies are not.
NO_TTA = {"uncertainty": 1.0, "disagreement": 0.0, "temporal": 1.0, "diversity": 1.0}


@pytest.fixture
def labeled(project, video, synthetic_video_file, alice):
    _, truth = synthetic_video_file
    nodes = list(project.nodes.order_by("position"))
    for index in range(0, 60, 5):
        points = [
            {"node": node.id, "x": float(x), "y": float(y), "visibility": 2}
            for node, (x, y) in zip(nodes, truth.keypoints[index][[0, 1, 2]], strict=True)
        ]
        labels_save(
            video=video, frame_index=index, user=alice, version=0, instances=[{"points": points}]
        )
    return video


def _wait_for_version(job: TrainingJob, timeout: float) -> ModelVersion:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in ("failed", "cancelled"):
            pytest.fail(f"training job {job.status}: {job.error}")
        version = ModelVersion.objects.filter(job=job).first()
        if version is not None:
            return version
        time.sleep(0.5)
    pytest.fail(f"no model version after {timeout} s (job {job.status}: {job.message})")


def test_run_model_and_review_suggestions(
    new_page, project, labeled, alice, bob, artifacts_dir, tmp_path
):
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        require(redis_up(redis_url), f"Redis is not answering at {redis_url}")
        clean_redis_broker(redis_url)
    celery_app.conf.task_always_eager = False
    ActiveLearningSettings.objects.update_or_create(
        project=project, defaults={"weights": NO_TTA, "min_gap": 3}
    )
    worker = start_worker(worker_env(None, redis_url), log=tmp_path / "worker.log")
    try:
        job = training_job_start(project=project, user=alice, preset="fast", advanced=TINY)
        page = new_page()
        page.on("pageerror", lambda e: print("PAGEERROR", e))
        login(page, "bob", "bob-password-1")
        version = _wait_for_version(job, timeout=120)

        # Project page: run model v1 on the video with 5 suggestions.
        page.goto(f"/projects/{project.id}")
        model = page.get_by_test_id("run-model-version")
        expect(model).to_have_value(str(version.id))
        page.get_by_test_id(f"run-video-{labeled.id}").check()
        page.get_by_test_id("run-suggest").fill("5")
        page.get_by_test_id("run-inference").click()
        run_row = page.locator("[data-testid^=run-][data-status]").first
        expect(run_row).to_have_attribute("data-status", "succeeded", timeout=120_000)
        run = InferenceRun.objects.get()
        expect(page.get_by_test_id(f"run-mean-score-{run.id}")).to_have_text(
            f"{run.summary['mean_score']:.2f}"
        )
        expect(page.get_by_test_id(f"export-{run.id}-dlc-csv")).to_be_visible()
        page.get_by_test_id(f"watch-{run.id}").click()
        expect(page.get_by_test_id(f"labeled-video-{run.id}")).to_be_visible()

        # Suggestions page: ranked frames with their reasons.
        page.get_by_test_id("link-suggestions").click()
        cards = page.locator("[data-testid^=suggestion-][data-frame]")
        expect(cards).to_have_count(Suggestion.objects.filter(status="pending").count())
        ranked = list(Suggestion.objects.filter(run=run).order_by("-score", "id"))
        assert len(ranked) >= 3, "the run made fewer than 3 suggestions"
        first, second = ranked[0], ranked[1]
        expect(cards.first).to_have_attribute("data-testid", f"suggestion-{first.id}")
        reasons = page.get_by_test_id(f"suggestion-reasons-{first.id}").locator("li")
        expect(reasons).to_have_count(len(first.reasons))
        expect(reasons.first).to_have_text(first.reasons[0])
        expect(
            page.get_by_test_id(f"suggestion-frame-{first.id}").locator("circle[data-node]")
        ).to_have_count(3)
        page.screenshot(path=str(artifacts_dir / "suggestions.png"), full_page=True)

        page.get_by_test_id(f"accept-{first.id}").click()
        expect(page.get_by_test_id("suggestion-message")).to_contain_text(
            f"Accepted frame {first.frame_index}"
        )
        expect(page.get_by_test_id(f"suggestion-{first.id}")).to_have_count(0)
        page.get_by_test_id(f"dismiss-{second.id}").click()
        expect(page.get_by_test_id(f"suggestion-{second.id}")).to_have_count(0)

        # "Correct in workspace": the labeling page opens with the prediction as the pose.
        third = ranked[2]
        page.get_by_test_id(f"correct-{third.id}").click()
        expect(page.get_by_test_id("prediction-bar")).to_be_visible()
        expect(page.get_by_test_id("node-snout")).to_have_attribute("data-placed", "true")
        page.get_by_test_id("node-right_ear").click()
        page.keyboard.press("Delete")  # the correction: drop one point
        expect(page.get_by_test_id("node-right_ear")).to_have_attribute("data-placed", "false")
        page.get_by_test_id("accept-corrected").click()
        expect(page.get_by_test_id("suggestion-accepted")).to_be_visible()
    finally:
        stop_worker(worker)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decided_by) == ("accepted", bob)
    assert (second.status, second.decided_by) == ("dismissed", bob)
    frame = LabeledFrame.objects.get(video=labeled, frame_index=first.frame_index)
    assert first.labeled_frame_id == frame.id
    instance = frame.instances.get()
    assert instance.source == "model" and len(instance.points) == 3
    assert frame.history.order_by("-id").first().action == "accept_suggestion"
    assert first.provenance["model_version"] == version.id
    third.refresh_from_db()
    assert third.status == "accepted" and third.provenance["corrected"] is True
    corrected = LabeledFrame.objects.get(video=labeled, frame_index=third.frame_index)
    assert len(corrected.instances.get().points) == 2
    assert corrected.history.order_by("-id").first().action == "accept_suggestion"
