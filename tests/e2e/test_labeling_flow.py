"""A scientist logs in, opens a project, places a keypoint, reloads: the keypoint is still there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.labels.models import LabeledFrame
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_place_a_keypoint_reload_and_see_it(new_page, project, video, bob, artifacts_dir):
    page = new_page()
    login(page, "bob", "bob-password-1")
    page.click(f"text={project.name}")
    page.click(f"[data-testid=label-video-{video.id}]")
    canvas = page.locator("[data-testid=label-canvas]")
    canvas.wait_for()
    page.wait_for_selector("[data-testid=node-snout]")
    assert page.get_attribute("[data-testid=node-snout]", "data-placed") == "false"

    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    assert page.get_attribute("[data-testid=node-snout]", "data-placed") == "true"
    page.click("[data-testid=save-button]")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    page.screenshot(path=str(artifacts_dir / "labeling.png"))

    page.reload()
    page.wait_for_selector("[data-testid=node-snout][data-placed=true]")
    frame = LabeledFrame.objects.get(video=video, frame_index=0)
    point = frame.instances.get().points[0]
    assert 0 < point["x"] < video.width and 0 < point["y"] < video.height
