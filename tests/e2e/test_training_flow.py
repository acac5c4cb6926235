"""One click trains a model on a real worker; the browser shows progress, the loss chart and a download."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from backend.config.celery import app as celery_app
from backend.labels.services import labels_save
from backend.training.models import ModelVersion
from tests.conftest import require
from tests.e2e.conftest import login
from tests.workers import clean_redis_broker, redis_up, start_worker, stop_worker, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def labeled(project, video, synthetic_video_file, alice):
    _, truth = synthetic_video_file
    nodes = list(project.nodes.order_by("position"))
    for index in range(0, 60, 5):
        points = [
            {"node": node.id, "x": float(x), "y": float(y), "visibility": 2}
            for node, (x, y) in zip(nodes, truth.keypoints[index][[0, 1, 2]], strict=True)
        ]
        labels_save(video=video, frame_index=index, user=alice, version=0, instances=[{"points": points}])
    return video


def test_train_button_to_downloadable_model(new_page, project, labeled, bob, artifacts_dir, tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        require(redis_up(redis_url), f"Redis is not answering at {redis_url}")
        clean_redis_broker(redis_url)
    celery_app.conf.task_always_eager = False
    worker = start_worker(worker_env(None, redis_url), log=tmp_path / "worker.log")
    try:
        page = new_page()
        page.on("console", lambda m: print("CONSOLE", m.type, m.text))
        page.on("pageerror", lambda e: print("PAGEERROR", e))
        login(page, "bob", "bob-password-1")
        page.goto(f"/projects/{project.id}")
        page.get_by_test_id("preset-fast").check()
        page.locator("[data-testid=advanced-settings] summary").click()
        page.fill("input[name=max_seconds]", "8")
        page.get_by_test_id("train-button").click()
        job = page.locator("[data-testid^=job-][data-status]").first
        expect(job).to_have_attribute("data-status", "running", timeout=120_000)
        expect(page.get_by_test_id("loss-chart")).to_be_visible(timeout=60_000)
        expect(job).to_have_attribute("data-status", "succeeded", timeout=180_000)
        download = page.get_by_test_id("download-1")
        expect(download).to_be_visible(timeout=20_000)
        page.screenshot(path=str(artifacts_dir / "training.png"), full_page=True)
        with page.expect_download() as info:
            download.click()
        assert info.value.suggested_filename.endswith(".zip")
    finally:
        stop_worker(worker)
    version = ModelVersion.objects.get()
    assert version.metrics["rmse_px"] >= 0
