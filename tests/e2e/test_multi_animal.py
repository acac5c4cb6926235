"""Two animals on one frame (issue #14): the owner allows two animals and names
their tracks in the project settings; an annotator labels both animals, each
with its track, saves, reloads and sees both, drawn in their track colours."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.labels.models import LabeledFrame
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _owner_sets_two_tracked_animals(page, project) -> None:
    login(page, "alice", "alice-password-1")
    page.goto(f"/projects/{project.id}/team")
    panel = page.get_by_test_id("animals-settings")
    panel.get_by_test_id("max-instances").fill("2")
    for i, name in enumerate(["mouse A", "mouse B"]):
        panel.get_by_test_id("add-track").click()
        panel.get_by_test_id(f"track-name-{i}").fill(name)
    panel.get_by_test_id("save-animals").click()
    expect(panel.get_by_text("Saved.")).to_be_visible()


def _click_nodes(page, canvas, x: float, y: float) -> None:
    """snout, left ear, right ear of an animal facing up, around (x, y) in canvas fractions."""
    box = canvas.bounding_box()
    for dx, dy in [(0.0, -0.06), (-0.04, 0.02), (0.04, 0.02)]:
        page.mouse.click(box["x"] + box["width"] * (x + dx), box["y"] + box["height"] * (y + dy))


def test_label_two_animals_with_tracks_reload_and_see_both(
    new_page, project, video, alice, bob, artifacts_dir
):
    _owner_sets_two_tracked_animals(new_page(), project)
    project.refresh_from_db()
    assert (project.max_instances, [t.name for t in project.tracks.all()]) == (2, ["mouse A", "mouse B"])

    page = new_page()
    login(page, "bob", "bob-password-1")
    page.goto(f"/projects/{project.id}/videos/{video.id}/label?frame=0")
    canvas = page.get_by_test_id("label-canvas")
    page.wait_for_selector("[data-testid=instance-panel]")
    expect(page.get_by_test_id("instance-count")).to_have_text("0 / 2")

    _click_nodes(page, canvas, 0.30, 0.40)  # the first click creates instance 1
    page.keyboard.press("i")  # new instance: its nodes follow
    _click_nodes(page, canvas, 0.66, 0.62)
    expect(page.get_by_test_id("instance-count")).to_have_text("2 / 2")
    expect(page.get_by_test_id("instance-track-0")).to_have_value("mouse A")
    expect(page.get_by_test_id("instance-track-1")).to_have_value("mouse B")
    expect(page.get_by_test_id("action-addInstance")).to_be_disabled()  # the project allows two

    # Tab picks the other animal; its track can be changed and changed back (both undoable edits).
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("instance-0")).to_have_attribute("data-active", "true")
    page.get_by_test_id("save-button").click()
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")

    page.reload()
    page.wait_for_selector("[data-testid=instance-panel]")
    expect(page.get_by_test_id("instance-count")).to_have_text("2 / 2")
    expect(page.get_by_test_id("instance-track-0")).to_have_value("mouse A")
    expect(page.get_by_test_id("instance-track-1")).to_have_value("mouse B")
    page.wait_for_selector("[data-testid=node-snout][data-placed=true]")
    page.get_by_test_id("instance-pick-1").click()
    expect(page.get_by_test_id("instance-1")).to_have_attribute("data-active", "true")
    page.wait_for_timeout(300)  # one animation frame for the canvas
    page.screenshot(path=str(artifacts_dir / "multi-animal-labeling.png"))

    frame = LabeledFrame.objects.get(video=video, frame_index=0)
    instances = list(frame.instances.order_by("id"))
    assert [i.track for i in instances] == ["mouse A", "mouse B"]
    assert [len(i.points) for i in instances] == [3, 3]
    assert instances[0].points[0]["x"] < instances[1].points[0]["x"]


def test_renamed_track_follows_the_labels_and_review_shows_every_animal(
    new_page, project, video, alice, bob, rita, artifacts_dir
):
    """The owner renames a track in use: the labels carry the new name, removing it
    is refused, and the reviewer sees both animals under their names."""
    from backend.labels.review import frame_submit
    from backend.labels.services import labels_save
    from backend.projects.services import tracks_replace
    from tests.conftest import node_ids

    project.max_instances = 2
    project.save(update_fields=["max_instances"])
    tracks_replace(project=project, tracks=[{"name": "mouse A"}, {"name": "mouse B"}])
    instances = [
        {"track": name, "points": [{"node": n, "x": x + 8 * k, "y": 40.0 + 6 * k, "visibility": 2}
                                   for k, n in enumerate(node_ids(project))]}
        for name, x in [("mouse A", 30.0), ("mouse B", 110.0)]
    ]  # fmt: skip
    labels_save(video=video, frame_index=7, user=bob, version=0, instances=instances)
    frame_submit(video=video, frame_index=7, user=bob)

    page = new_page()
    login(page, "alice", "alice-password-1")
    page.goto(f"/projects/{project.id}/team")
    panel = page.get_by_test_id("animals-settings")
    panel.get_by_test_id("track-name-0").fill("mouse 1")
    panel.get_by_test_id("save-animals").click()
    expect(panel.get_by_text("Saved.")).to_be_visible()
    frame = LabeledFrame.objects.get(video=video, frame_index=7)
    assert [i.track for i in frame.instances.order_by("id")] == ["mouse 1", "mouse B"]
    assert frame.version == 1  # a rename is not an edit of the labels

    panel.get_by_role("button", name="Remove").nth(1).click()  # mouse B is in use
    panel.get_by_test_id("save-animals").click()
    expect(panel).to_contain_text("track 'mouse B' is used by 1 instance")

    review = new_page()
    login(review, "rita", "rita-password-1")
    review.goto(f"/projects/{project.id}/review")
    review.get_by_test_id(f"review-item-{video.id}-7").click()
    review.wait_for_selector("[data-testid=review-frame] canvas")
    expect(review.get_by_test_id("review-instance-0")).to_have_text("mouse 1")
    expect(review.get_by_test_id("review-instance-1")).to_have_text("mouse B")
    review.wait_for_timeout(300)  # one animation frame for the canvas
    review.screenshot(path=str(artifacts_dir / "multi-animal-review.png"))
