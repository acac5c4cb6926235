"""The labeling workspace following "next frame for me" across videos, in a real browser.

Issue 12: when the next frame was in another video, the workspace showed a blank
canvas and "Loading labels…" while it locked and unlocked frames in a loop (about 600
lock requests in 40 s, 500s from the server), and a rejected frame's labels were not
shown until a reload. This walks A → B (my rejected frame) → A (a todo frame) and
counts what the browser sent and saw.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.labels import review, services
from backend.labels.models import LabeledFrame
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Mean per-channel standard deviation of the drawn frame; a solid colour is 0.
CANVAS_STATS_JS = """(canvas) => {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  const data = ctx.getImageData(Math.floor(w / 4), Math.floor(h / 4), Math.floor(w / 2), Math.floor(h / 2)).data;
  const sums = [0, 0, 0], squares = [0, 0, 0];
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) { sums[c] += data[i + c]; squares[c] += data[i + c] ** 2; }
  }
  const std = sums.map((s, c) => Math.sqrt(Math.max(0, squares[c] / n - (s / n) ** 2)));
  return (std[0] + std[1] + std[2]) / 3;
}"""


@pytest.fixture
def second_video(project, synthetic_video_file):
    from backend.videos.services import video_create_from_path

    path, _ = synthetic_video_file
    return video_create_from_path(project=project, path=path, name="second.mp4")


@pytest.fixture
def rejected_in_second(project, second_video, bob, rita):
    """Frame 8 of the second video: labeled and submitted by bob, rejected by rita."""
    nodes = dict(project.nodes.values_list("name", "id"))
    points = [
        {"node": nodes[name], "x": x, "y": 60.0, "visibility": 2}
        for name, x in (("snout", 80.0), ("left_ear", 70.0), ("right_ear", 90.0))
    ]
    services.labels_save(
        video=second_video, frame_index=8, user=bob, version=0, instances=[{"points": points}]
    )
    review.frame_submit(video=second_video, frame_index=8, user=bob)
    review.frame_review(
        video=second_video,
        frame_index=8,
        user=rita,
        decision="reject",
        comment="The snout is on the ear",
    )
    return 8


class Traffic:
    """Everything the page asked for and got back, and what it logged as an error."""

    def __init__(self, page) -> None:
        self.locks: list[str] = []
        self.server_errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _on_request(self, request) -> None:
        if request.url.endswith("/lock/"):
            self.locks.append(f"{request.method} {request.url}")

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")


def _label_url(project, video, frame: int) -> str:
    return f"/projects/{project.id}/videos/{video.id}/label?frame={frame}"


def _expect_frame(page, project, video, frame: int) -> None:
    page.wait_for_url(f"**{_label_url(project, video, frame)}")
    expect(page.get_by_test_id("frame-counter")).to_have_text(
        f"frame {frame} / {video.frame_count}"
    )
    page.wait_for_selector("[data-testid=node-snout]")  # labels loaded, not "Loading labels…"


def _canvas_spread(page) -> float:
    page.wait_for_function(
        f"() => ({CANVAS_STATS_JS})(document.querySelector('[data-testid=label-canvas]')) > 0"
    )
    return page.eval_on_selector("[data-testid=label-canvas]", CANVAS_STATS_JS)


def test_next_frame_follows_into_other_videos_without_a_request_storm(
    new_page, project, video, second_video, rejected_in_second, bob
):
    LabeledFrame.objects.create(video=video, frame_index=5, status="todo", picked=True)
    page = new_page()
    login(page, "bob", "bob-password-1")
    traffic = Traffic(page)

    # A frame nobody labeled yet: opening it creates nothing and logs nothing.
    page.goto(_label_url(project, video, 3))
    _expect_frame(page, project, video, 3)
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    assert not LabeledFrame.objects.filter(video=video, frame_index=3).exists()

    # N: my rejected frame comes first, in the other video, with its labels and the comment.
    page.keyboard.press("n")
    _expect_frame(page, project, second_video, rejected_in_second)
    expect(page.get_by_test_id("review-comment")).to_contain_text("The snout is on the ear")
    expect(page.get_by_test_id("node-snout")).to_have_attribute("data-placed", "true")
    expect(page.get_by_test_id("node-left_ear")).to_have_attribute("data-placed", "true")
    assert _canvas_spread(page) > 2.0, "the canvas is one flat colour"

    # N again: the todo frame, back in the first video.
    page.keyboard.press("n")
    _expect_frame(page, project, video, 5)
    assert _canvas_spread(page) > 2.0, "the canvas is one flat colour"
    page.wait_for_timeout(3000)  # a loop would show up as a stream of lock requests here

    assert len(traffic.locks) < 10, traffic.locks
    assert traffic.server_errors == []
    assert traffic.console_errors == []
    assert LabeledFrame.objects.get(video=video, frame_index=5).assignee == bob
