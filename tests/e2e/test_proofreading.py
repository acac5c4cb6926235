"""Proofreading a run's tracks in the browser (issue #15).

The run holds two tracked mice on the 60 frames of the fixture video, written in
the npz contract as the backend proofreading tests do: one animal on the
synthetic mouse itself, the other on its mirror image across the frame's
centre, missing on frames 20–22 and found with a low confidence on frames
40–45. The tracker swapped their identities at frame 30: before it the mouse
is mouse-a, after it mouse-b (two "jump" spots mark the place).

Bob (annotator) opens the run from the project page, steps with N from one
suspicious spot to the swap, clicks the timeline there and swaps the two
tracks from frame 30 on. After a reload the frame and the timeline show the
mouse as mouse-a throughout, the jumps are gone, a click on the mirrored
animal in the frame selects mouse-b, the edit history lists his swap, and the
run's DeepLabCut export agrees. Then the team part: Alice holds frames 0–9, so Bob's edit there
is refused with her name; and an edit Alice made meanwhile on the frames Bob
edits makes his stale: the page reloads the tracks and says so.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from backend.common import storage
from backend.inference.models import InferenceRun
from backend.inference.proofread import track_edit_apply
from backend.inference.proofread_locks import track_lock_take
from backend.inference.proofread_timeline import tracks_timeline
from backend.labels.models import LabeledFrame
from tests.backend.inference.test_multi_instance import NAMES, version  # noqa: F401
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FRAMES = 60
SWAP_FROM = 30


def _mice(truth: np.ndarray, width: int, height: int) -> dict[str, np.ndarray]:
    """Slot 0 on the synthetic mouse's snout and ears, slot 1 mirrored through the centre;
    the tracks switch slots at frame SWAP_FROM (the tracker's mistake to correct)."""
    a = truth[:FRAMES, : len(NAMES)].astype(np.float32)  # snout, left_ear, right_ear come first
    b = np.array([width, height], np.float32) - a
    points = np.stack([a, b], 1)  # (F, 2, K, 2)
    scores = np.full((FRAMES, 2, len(NAMES)), 0.9, np.float32)
    instance_scores = np.full((FRAMES, 2), 0.85, np.float32)
    track_ids = np.tile(np.array([0, 1], np.int32), (FRAMES, 1))
    track_ids[SWAP_FROM:] = [1, 0]
    points[20:23, 1], scores[20:23, 1] = np.nan, np.nan
    instance_scores[20:23, 1], track_ids[20:23, 1] = np.nan, -1
    instance_scores[40:46, 1] = 0.2
    return {"points": points, "scores": scores, "instance_scores": instance_scores,
            "track_ids": track_ids}  # fmt: skip


@pytest.fixture
def tracked_run(project, video, version, alice, synthetic_video_file):  # noqa: F811
    _, truth = synthetic_video_file
    project.max_instances = 2  # both animals can be accepted as labels
    project.save(update_fields=["max_instances"])
    meta = {"fps": 30.0, "frame_count": FRAMES, "width": video.width, "height": video.height,
            "node_names": NAMES, "track_names": ["mouse-a", "mouse-b"]}  # fmt: skip
    data = io.BytesIO()
    np.savez(data, frame_indices=np.arange(FRAMES), meta=np.array(json.dumps(meta)),
             **_mice(truth.keypoints, video.width, video.height))  # fmt: skip
    return InferenceRun.objects.create(
        project=project, model_version=version, video=video, created_by=alice,
        status=InferenceRun.Status.SUCCEEDED, tracking={"max_tracks": 2},
        summary={"frames": FRAMES, "mean_score": 0.85},
        predictions_file=storage.save_bytes(f"predictions/e2e-mice-{video.id}.npz", data.getvalue()),
    )  # fmt: skip


def _dlc_export(page, run) -> pd.DataFrame:
    response = page.request.get(f"/api/inference-runs/{run.id}/export/dlc-csv/")
    assert response.ok, response.text()
    return pd.read_csv(io.BytesIO(response.body()), header=[0, 1, 2, 3], index_col=0)


def _click_timeline_at(page, frame: int) -> None:
    bars = page.locator(".track-bars")
    bars.scroll_into_view_if_needed()  # mouse clicks go to viewport coordinates
    box = bars.bounding_box()
    page.mouse.click(box["x"] + box["width"] * (frame + 0.5) / FRAMES, box["y"] + box["height"] / 2)


def _click_frame_at(page, x: float, y: float, width: int, height: int) -> None:
    """Click the frame canvas at image pixel (x, y): the canvas shows the whole frame,
    centred, 8 px from its edges (fitViewport in features/labeling/canvas/geometry.ts)."""
    expect(page.get_by_test_id("frame-loading")).to_have_count(0)
    canvas = page.get_by_test_id("label-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    scale = min((box["width"] - 16) / width, (box["height"] - 16) / height)
    left = box["x"] + (box["width"] - width * scale) / 2
    top = box["y"] + (box["height"] - height * scale) / 2
    page.mouse.click(left + x * scale, top + y * scale)


def test_swap_tracks_in_the_browser_reload_and_export_the_swap(
    new_page, project, tracked_run, alice, bob, artifacts_dir, synthetic_video_file
):
    run, (_, truth) = tracked_run, synthetic_video_file
    spots = tracks_timeline(run=run, user=bob)["suspicious"]
    assert {(s["frame"], s["kind"]) for s in spots} >= {(SWAP_FROM, "jump"), (19, "end")}
    page = new_page()
    login(page, "bob", "bob-password-1")
    page.goto(f"/projects/{project.id}")
    page.get_by_test_id(f"proofread-{run.id}").click()
    page.wait_for_selector("[data-testid=proofread-page]")
    expect(page.get_by_test_id("tracks-version")).to_have_text("0")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_test_id("gap-mouse-b-20")).to_have_attribute("data-stop", "23")
    expect(timeline.get_by_test_id("low-mouse-a-40")).to_have_attribute("data-stop", "46")
    expect(page.get_by_test_id("instance-0")).to_have_attribute("data-track", "mouse-a")

    # N / Shift+N step through the spots: from the end of mouse-b at 19 to the next one and back.
    page.goto(f"/projects/{project.id}/runs/{run.id}/proofread?frame=19")
    cursor = page.get_by_test_id("timeline-cursor")
    expect(page.get_by_test_id("spot-here")).to_contain_text("track ends: mouse-b")
    page.keyboard.press("n")
    following = min(s["frame"] for s in spots if s["frame"] > 19)
    expect(cursor).to_have_attribute("data-frame", str(following))
    page.keyboard.press("Shift+N")
    expect(cursor).to_have_attribute("data-frame", "19")

    # A click on the timeline goes to that frame: the jump where the identities switched.
    _click_timeline_at(page, SWAP_FROM)
    expect(cursor).to_have_attribute("data-frame", str(SWAP_FROM))
    expect(page.get_by_test_id("spot-here")).to_contain_text("jump: mouse-a")
    expect(page.get_by_test_id("instance-0")).to_have_attribute("data-track", "mouse-b")
    expect(page.get_by_test_id("swap-from")).to_have_value(str(SWAP_FROM))
    page.get_by_test_id("swap-a").select_option("mouse-a")
    page.get_by_test_id("swap-b").select_option("mouse-b")
    page.get_by_test_id("swap-button").click()
    expect(page.get_by_test_id("proofread-message")).to_contain_text("Swapped mouse-a and mouse-b")
    expect(page.get_by_test_id("tracks-version")).to_have_text("1")

    # After a reload: the mouse is mouse-a on both sides of frame 30, the jumps are gone, and
    # the low-confidence stretch moved with its animal to mouse-b's row.
    page.goto(f"/projects/{project.id}/runs/{run.id}/proofread?frame={SWAP_FROM - 1}")
    expect(page.get_by_test_id("instance-0")).to_have_attribute("data-track", "mouse-a")
    page.keyboard.press("ArrowRight")
    expect(cursor).to_have_attribute("data-frame", str(SWAP_FROM))
    expect(page.get_by_test_id("instance-0")).to_have_attribute("data-track", "mouse-a")
    expect(page.get_by_test_id("instance-1")).to_have_attribute("data-track", "mouse-b")
    expect(page.get_by_test_id("review-instance-0")).to_have_text("mouse-a (model)")
    expect(timeline.locator(f".spot[data-frame='{SWAP_FROM}']")).to_have_count(0)
    expect(timeline.get_by_test_id("low-mouse-b-40")).to_have_attribute("data-stop", "46")
    expect(timeline.get_by_test_id("low-mouse-a-40")).to_have_count(0)
    expect(timeline.get_by_test_id("gap-mouse-b-20")).to_have_attribute("data-stop", "23")

    # A click on the frame selects the animal nearest to it: the mirrored mouse, mouse-b.
    selection = page.get_by_test_id("selected-instance")
    expect(selection).to_contain_text("pick one on the frame")
    width, height = run.video.width, run.video.height
    snout = truth.keypoints[SWAP_FROM, 0]
    _click_frame_at(page, width - snout[0], height - snout[1], width, height)
    expect(selection).to_contain_text("#2 (mouse-b)")
    expect(page.get_by_test_id("instance-1")).to_have_attribute("aria-pressed", "true")
    _click_frame_at(page, snout[0], snout[1], width, height)
    expect(selection).to_contain_text("#1 (mouse-a)")

    # The edit history lists the swap, by bob ("you").
    page.get_by_test_id("edit-history").locator("summary").click()
    expect(page.get_by_test_id("edit-1")).to_contain_text("you swapped mouse-a ⇄ mouse-b")
    expect(page.get_by_test_id("edit-1")).to_contain_text("frames 30–59")

    # The export follows the edit: the synthetic mouse is mouse-a from the first frame to the last.
    table = _dlc_export(page, run)
    scorer = table.columns.get_level_values(0)[0]
    snout_x = truth.keypoints[:FRAMES, 0, 0]
    for frame in (0, SWAP_FROM - 1, SWAP_FROM, FRAMES - 1):
        mouse_a, mouse_b = (
            table.loc[frame, (scorer, t, "snout", "x")] for t in ("mouse-a", "mouse-b")
        )
        assert mouse_a == pytest.approx(snout_x[frame], abs=1e-3), frame
        assert mouse_b == pytest.approx(run.video.width - snout_x[frame], abs=1e-3), frame

    # Team: alice holds frames 0–9; bob takes 30–59 and sees both locks.
    track_lock_take(run=run, user=alice, start=0, stop=10)
    page.get_by_test_id("range-first").fill("30")
    page.get_by_test_id("range-last").fill("59")
    page.get_by_test_id("lock-button").click()
    expect(page.get_by_test_id("lock-bob")).to_contain_text("you: frames 30–59")
    expect(page.get_by_test_id("lock-alice")).to_contain_text("alice: frames 0–9")
    page.get_by_test_id("instance-1").click()  # mouse-b selected: drawn with a halo
    expect(page.get_by_test_id("selected-instance")).to_contain_text("#2 (mouse-b)")
    page.wait_for_timeout(300)  # one animation frame for the canvas
    page.screenshot(path=str(artifacts_dir / "proofreading.png"), full_page=True)

    # An edit in alice's frames is refused with the server's message naming her.
    page.goto(f"/projects/{project.id}/runs/{run.id}/proofread?frame=5")
    page.get_by_test_id("instance-1").click()
    page.get_by_test_id("delete-button").click()
    expect(page.get_by_test_id("proofread-message")).to_contain_text(
        "alice is proofreading frames 0–9"
    )

    # Alice changes frames 12–15 while bob looks at version 1: his swap there is stale (409).
    page.goto(f"/projects/{project.id}/runs/{run.id}/proofread?frame=12")
    expect(page.get_by_test_id("tracks-version")).to_have_text("1")
    op = {"op": "swap", "tracks": ["mouse-a", "mouse-b"], "start": 12, "stop": 16}
    track_edit_apply(run=run, user=alice, op=op, version=1)
    page.get_by_test_id("swap-last").fill("14")
    page.get_by_test_id("swap-button").click()
    message = page.get_by_test_id("proofread-message")
    expect(message).to_contain_text("alice changed frames 12–15")
    expect(message).to_contain_text("The tracks were reloaded (version 2)")
    expect(page.get_by_test_id("tracks-version")).to_have_text("2")
    run.refresh_from_db()
    assert run.tracks_version == 2

    # The corrected frames 30–31 become labels, each animal with its track.
    page.goto(f"/projects/{project.id}/runs/{run.id}/proofread?frame={SWAP_FROM}")
    page.get_by_test_id("range-last").fill(str(SWAP_FROM + 1))
    page.get_by_test_id("accept-button").click()
    expect(page.get_by_test_id("accept-result")).to_contain_text("2 frame(s) added to the labels")
    labeled = LabeledFrame.objects.get(video=run.video, frame_index=SWAP_FROM)
    instances = list(labeled.instances.order_by("id"))
    assert [(i.track, i.source) for i in instances] == [("mouse-a", "model"), ("mouse-b", "model")]
    assert instances[0].points[0]["x"] == pytest.approx(snout_x[SWAP_FROM], abs=1e-2)
