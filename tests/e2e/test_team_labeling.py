"""Team labeling in two real browsers on one project: locks, conflicts, review, keyboard-only labeling.

Each test opens two separate browser contexts (two people) against the live server and
checks the outcome in the database, not only on screen.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.labels import services
from backend.labels.models import FrameLock, LabeledFrame, LabelHistory, ReviewComment
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _label_url(project, video, frame: int) -> str:
    return f"/projects/{project.id}/videos/{video.id}/label?frame={frame}"


def _open(page, project, video, frame: int) -> None:
    page.goto(_label_url(project, video, frame))
    expect(page.get_by_test_id("frame-counter")).to_have_text(
        f"frame {frame} / {video.frame_count}"
    )
    page.wait_for_selector("[data-testid=node-snout]")


def _frame_of(page) -> int:
    match = re.search(r"frame=(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def _nodes(project) -> dict[str, int]:
    return dict(project.nodes.values_list("name", "id"))


def _pose(project, **xy: tuple[float, float]) -> list[dict]:
    ids = _nodes(project)
    points = [{"node": ids[name], "x": x, "y": y, "visibility": 2} for name, (x, y) in xy.items()]
    return [{"track": None, "source": "human", "points": points}]


def _human_points(frame: LabeledFrame) -> dict[int, tuple[float, float]]:
    instance = frame.instances.get(source="human")
    return {p["node"]: (p["x"], p["y"]) for p in instance.points}


def test_locks_keep_two_annotators_apart(new_page, project, video, bob, rita):
    for index in (5, 10):
        LabeledFrame.objects.create(video=video, frame_index=index, status="todo", picked=True)
    bob_page, rita_page = new_page(), new_page()
    login(bob_page, "bob", "bob-password-1")
    login(rita_page, "rita", "rita-password-1")

    _open(bob_page, project, video, 30)
    bob_page.get_by_test_id("action-nextFrameForMe").click()
    bob_page.wait_for_url(lambda url: "frame=30" not in url)
    bob_frame = _frame_of(bob_page)

    _open(rita_page, project, video, 40)
    rita_page.keyboard.press("n")  # the shortcut of the same action
    rita_page.wait_for_url(lambda url: "frame=40" not in url)
    rita_frame = _frame_of(rita_page)

    assert bob_frame != rita_frame
    assert {bob_frame, rita_frame} <= {5, 10, 30}
    expect(bob_page.get_by_test_id("save-status")).to_have_text("Saved")
    held = dict(FrameLock.objects.filter(video=video).values_list("frame_index", "user__username"))
    assert held.get(bob_frame) == "bob" and held.get(rita_frame) == "rita"

    # Bob opens Rita's frame: locked banner, read-only, no override for an annotator.
    _open(bob_page, project, video, rita_frame)
    banner = bob_page.get_by_test_id("locked-banner")
    expect(banner).to_contain_text("Locked by rita")
    expect(bob_page.get_by_test_id("save-button")).to_be_disabled()
    expect(bob_page.get_by_test_id("edit-anyway")).to_have_count(0)
    bob_page.keyboard.press("k")
    bob_page.keyboard.press("Enter")  # keyboard placement is refused while read-only
    expect(bob_page.get_by_test_id("node-snout")).to_have_attribute("data-placed", "false")
    # Presence: Bob sees where Rita is.
    expect(bob_page.get_by_test_id("presence-rita")).to_contain_text(f"frame {rita_frame}")


def test_conflicting_saves_lose_nothing(new_page, project, video, alice, bob, artifacts_dir):
    ids = _nodes(project)
    services.labels_save(
        video=video,
        frame_index=3,
        user=alice,
        version=0,
        instances=_pose(project, snout=(80, 60), left_ear=(70, 50), right_ear=(90, 50)),
    )
    bob_page, alice_page = new_page(), new_page()
    login(bob_page, "bob", "bob-password-1")
    login(alice_page, "alice", "alice-password-1")
    _open(bob_page, project, video, 3)
    expect(bob_page.get_by_test_id("save-button")).to_be_enabled()

    _open(alice_page, project, video, 3)
    expect(alice_page.get_by_test_id("locked-banner")).to_contain_text("Locked by bob")
    alice_page.get_by_test_id("edit-anyway").click()
    expect(alice_page.get_by_test_id("save-button")).to_be_enabled()

    # Both move the snout with the keyboard crosshair: Bob 9 px right, Alice 9 px down.
    for page, key in ((bob_page, "ArrowRight"), (alice_page, "ArrowDown")):
        page.get_by_test_id("node-snout").click()
        page.keyboard.press("k")
        expect(page.get_by_test_id("keyboard-mode")).to_have_attribute("data-x", "80")
        for _ in range(3):
            page.keyboard.press(key)
        page.keyboard.press("Enter")
    bob_page.keyboard.press("Control+s")
    expect(bob_page.get_by_test_id("save-status")).to_have_text("Saved")

    alice_page.keyboard.press("Control+s")
    panel = alice_page.get_by_test_id("conflict-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("bob")
    expect(panel).to_contain_text("89.0, 60.0")  # theirs (Bob)
    expect(panel).to_contain_text("80.0, 69.0")  # mine (Alice)
    alice_page.get_by_test_id("keep-mine").click()
    expect(alice_page.get_by_test_id("save-status")).to_have_text("Saved")

    frame = LabeledFrame.objects.get(video=video, frame_index=3)
    assert frame.version == 3
    assert _human_points(frame)[ids["snout"]] == (80, 69)
    rows = list(LabelHistory.objects.filter(labeled_frame=frame).order_by("id"))
    bob_row = next(r for r in rows if r.user == bob)
    alice_row = rows[-1]
    assert alice_row.user == alice and alice_row.version == 3

    def snout(instances: list[dict]) -> tuple[float, float]:
        point = next(p for p in instances[0]["points"] if p["node"] == ids["snout"])
        return point["x"], point["y"]

    assert snout(bob_row.after) == (89, 60)
    assert snout(alice_row.before) == (89, 60)

    # The history panel shows both edits, Bob's included.
    alice_page.keyboard.press("h")
    history = alice_page.get_by_test_id("history-panel")
    expect(history.locator("[data-testid=history-row][data-user=bob]")).to_contain_text(
        "snout moved 9.0 px"
    )
    expect(history.locator("[data-testid=history-row][data-user=alice]").first).to_contain_text(
        "(89.0, 60.0) → (80.0, 69.0)"
    )


def test_reviewer_rejects_and_annotator_sees_comment(
    new_page, project, video, bob, rita, artifacts_dir
):
    ids = _nodes(project)
    services.labels_save(
        video=video,
        frame_index=7,
        user=bob,
        version=0,
        instances=_pose(project, snout=(80, 60), left_ear=(90, 50), right_ear=(70, 50)),
    )
    bob_page, rita_page = new_page(), new_page()
    login(bob_page, "bob", "bob-password-1")
    login(rita_page, "rita", "rita-password-1")

    _open(bob_page, project, video, 7)
    bob_page.get_by_test_id("action-submitFrame").click()
    expect(bob_page.get_by_test_id("team-message")).to_contain_text("submitted for review")
    assert LabeledFrame.objects.get(video=video, frame_index=7).status == "submitted"

    rita_page.goto(f"/projects/{project.id}/review")
    item = rita_page.get_by_test_id(f"review-item-{video.id}-7")
    expect(item).to_contain_text("bob")
    rita_page.wait_for_selector("[data-testid=review-frame] canvas")
    rita_page.get_by_test_id("review-node").select_option(label="left_ear")
    rita_page.get_by_test_id("review-comment-input").fill(
        "Ears are swapped: left_ear is on the right side."
    )
    rita_page.wait_for_timeout(300)  # let the frame image paint for the screenshot
    rita_page.screenshot(path=str(artifacts_dir / "review.png"))
    rita_page.get_by_test_id("reject").click()
    expect(rita_page.get_by_test_id("review-done")).to_contain_text("Rejected")
    expect(rita_page.get_by_test_id("review-empty")).to_be_visible()

    frame = LabeledFrame.objects.get(video=video, frame_index=7)
    assert frame.status == "rejected"
    comment = ReviewComment.objects.get(labeled_frame=frame)
    assert comment.node_id == ids["left_ear"] and comment.author == rita

    bob_page.reload()
    banner = bob_page.get_by_test_id("review-comment")
    expect(banner).to_contain_text("Rejected by rita")
    expect(banner).to_contain_text("on left_ear")
    expect(banner).to_contain_text("Ears are swapped")
    expect(bob_page.get_by_test_id(f"my-frame-{video.id}-7")).to_contain_text("rejected")


def test_keyboard_only_labeling_of_a_whole_skeleton(new_page, project, video, bob, artifacts_dir):
    ids = _nodes(project)
    page = new_page()
    login(page, "bob", "bob-password-1")
    _open(page, project, video, 12)
    expect(page.get_by_test_id("node-snout")).to_have_attribute("data-active", "true")

    page.keyboard.press("k")  # crosshair at the image centre (80, 60); a step is 3 px
    mode = page.get_by_test_id("keyboard-mode")
    expect(mode).to_have_attribute("data-x", "80")
    expect(mode).to_have_attribute("data-y", "60")
    page.keyboard.press("Enter")  # snout
    expect(page.get_by_test_id("node-left_ear")).to_have_attribute("data-active", "true")
    for key in ["ArrowLeft"] * 3 + ["ArrowUp"] * 3 + ["Shift+ArrowLeft"]:
        page.keyboard.press(key)
    expect(mode).to_have_attribute("data-x", "70")
    page.keyboard.press("Enter")  # left_ear at (70, 51)
    for key in ["ArrowRight"] * 7:
        page.keyboard.press(key)
    page.keyboard.press("Enter")  # right_ear at (91, 51)
    for name in ("snout", "left_ear", "right_ear"):
        expect(page.get_by_test_id(f"node-{name}")).to_have_attribute("data-placed", "true")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    page.keyboard.press("?")
    expect(page.get_by_test_id("help-panel")).to_contain_text("Keyboard mode")
    page.keyboard.press("Escape")  # the help is a modal: close it for the README's picture
    expect(page.get_by_test_id("help-panel")).to_have_count(0)
    page.wait_for_timeout(200)
    page.screenshot(path=str(artifacts_dir / "labeling-workspace.png"))

    frame = LabeledFrame.objects.get(video=video, frame_index=12)
    assert frame.version == 1 and frame.updated_by == bob
    assert _human_points(frame) == {
        ids["snout"]: (80, 60),
        ids["left_ear"]: (70, 51),
        ids["right_ear"]: (91, 51),
    }
