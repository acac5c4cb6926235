"""A lab's whole first day, in real browsers, on the real open-field data (issue 12).

The DeepLabCut open-field project (116 labeled frames and its video m3v1mp4.mp4, an
H.264 High 4:4:4 file whose frames from 182 on once decoded as solid green) is zipped
and imported through the Import panel. The owner invites an annotator by link; the
annotator makes an account, takes "next frame for me" (a frame picked from the video),
labels it by clicking on the canvas and submits it; the owner approves it, trains the
fast preset on a real worker, runs the model on the video, accepts a suggestion,
downloads the model and exports back to DeepLabCut. Every step is checked on screen
and in the database or the downloaded files, frames must not be one flat colour, and
the browsers may log no error and get no 5xx. The workspace must show the very frame
its counter names: a screenshot of the canvas is compared with the frame as sequential
decoding yields it (the first run of this test caught the workspace showing frame 0's
picture under "frame 291" while 291 loaded, and labeling it; the second test pins that).

The training budget is shrunk (8 s, small network) so the whole day fits in a few
minutes on two CPU cores: the time budget through the form, the network size (not in
the form) added to the request the Train button sends.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
import yaml
from PIL import Image
from playwright.sync_api import Page, Route, expect

from backend.inference.models import ActiveLearningSettings, InferenceRun, Suggestion
from backend.labels.models import LabeledFrame
from backend.projects.models import Membership, Project
from backend.training.models import ModelVersion
from backend.videos.models import Video
from backend.videos.picking import pick_uniform
from tests.e2e.conftest import login
from tests.workers import private_broker, start_worker, stop_worker, worker_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPENFIELD = "openfield-Pranav-2018-10-30"
VIDEO = "m3v1mp4.mp4"
VIDEO_FRAMES = 2330
PICKED = pick_uniform(VIDEO_FRAMES, 4)  # "next frame for me" hands out the first: 291
FAR_FRAME = 500  # well past 182, where single-frame decoding once went green
# Network size for a test-sized model; the form has no field for these.
TINY_NETWORK = {"max_crop_size": 64, "filters": 8}
# Test-time augmentation (the disagreement score) is slow on two CPU cores.
NO_TTA = {"uncertainty": 1.0, "disagreement": 0.0, "temporal": 1.0, "diversity": 1.0}
# Where the annotator clicks (fractions of the canvas at the 1280x800 viewport): on the
# mouse of frame 291, which faces left at the top of the arena: snout, leftear, rightear,
# and the tail base a bit forward on the back, then dragged onto it.
CLICKS = [(0.305, 0.170), (0.321, 0.186), (0.327, 0.131), (0.437, 0.180)]
TAILBASE_DROP = (0.477, 0.180)
# Mean absolute grey-level difference (0-255) between the canvas and a frame, both shrunk
# to 32x24: the right frame scores about 1, another frame of this video about 8.
SAME_FRAME = 3.0
SLOW = 300_000  # ms: worker jobs on a busy two-core machine (inference: ~100 s)


class Watch:
    """Console errors, uncaught exceptions and 5xx responses of every page it is given."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def page(self, page: Page) -> Page:
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on(
            "response",
            lambda r: (
                r.status >= 500 and self.errors.append(f"{r.status} {r.request.method} {r.url}")
            ),
        )
        return page


@pytest.fixture
def openfield_zip(shared_data_dir: Path, tmp_path: Path) -> Path:
    """config.yaml, labeled-data/m4s1 and videos/m3v1mp4.mp4 zipped as a lab would."""
    source = shared_data_dir / OPENFIELD
    files = [source / "config.yaml", source / "videos" / VIDEO]
    files += sorted((source / "labeled-data" / "m4s1").iterdir())
    path = tmp_path / f"{OPENFIELD}.zip"
    with zipfile.ZipFile(path, "w") as archive:  # stored: PNG and H.264 do not shrink
        for file in files:
            archive.write(file, f"{OPENFIELD}/{file.relative_to(source).as_posix()}")
    return path


@pytest.fixture
def true_frames(shared_data_dir: Path) -> dict[int, np.ndarray]:
    """Frames 0, 291 and 500 as decoding the video from its start yields them (grey)."""
    wanted = {0, PICKED[0], FAR_FRAME}
    frames = {}
    with av.open(str(shared_data_dir / OPENFIELD / "videos" / VIDEO)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames[index] = frame.to_ndarray(format="gray")
            if index >= max(wanted):
                break
    return frames


@pytest.fixture
def worker(tmp_path):
    """A real worker for every job of the day (import, video processing, picking, training,
    inference, export), on a broker no other test run on this machine reads from."""
    with private_broker(tmp_path) as (var_dir, redis_url):
        process = start_worker(worker_env(var_dir, redis_url), log=tmp_path / "worker.log")
        try:
            yield process
        finally:
            stop_worker(process)


@pytest.mark.worker
@pytest.mark.realdata
def test_a_labs_first_day(
    new_page, alice, openfield_zip, true_frames, worker, artifacts_dir, tmp_path
):
    watch = Watch()
    owner = watch.page(new_page())
    login(owner, "alice", "alice-password-1")
    project, video = _import(owner, openfield_zip)

    link = _invite(owner, project, role="annotator")
    annotator = watch.page(new_page())
    _join(annotator, link, project, username="newton")
    _pick_frames(owner, project)

    frame_index = _label_next_frame(annotator, project, video, true_frames, artifacts_dir)
    _expect_frame_picture(annotator, project, video, FAR_FRAME, true_frames)
    assert not LabeledFrame.objects.filter(video=video, frame_index=FAR_FRAME).exists()
    _approve(owner, project, video, frame_index)

    version = _train(owner, project)
    accepted = _run_and_accept_a_suggestion(owner, project, video, artifacts_dir)
    _download_model(owner, version, tmp_path)
    # Not reviewed: the accepted suggestion (in progress) and the other picked frames (to do).
    unreviewed = [accepted, *PICKED[1:]]
    assert set(
        LabeledFrame.objects.filter(video=video, frame_index__in=unreviewed).values_list(
            "status", flat=True
        )
    ) <= {"todo", "in_progress"}
    _export_dlc(owner, video, frame_index, unreviewed, true_frames, tmp_path)

    assert watch.errors == []


def test_the_workspace_never_shows_the_previous_frame_while_the_next_loads(
    new_page, project, video, bob
):
    """Frame 40's image is held back: the canvas goes blank with "Loading frame…" instead of
    keeping frame 3's picture under "frame 40" (where people placed points on it)."""
    page = new_page()
    login(page, "bob", "bob-password-1")
    page.goto(f"/projects/{project.id}/videos/{video.id}/label?frame=3")
    expect(page.get_by_test_id("frame-loading")).to_have_count(0)  # frame 3 is drawn
    _expect_picture(page, "[data-testid=label-canvas]", "frame 3")
    frame_3 = page.get_by_test_id("label-canvas").screenshot()

    held: list[Route] = []
    page.route("**/frames/40.jpg*", lambda route: held.append(route))
    page.get_by_test_id("frame-input").fill("40")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("frame-counter")).to_have_text(f"frame 40 / {video.frame_count}")
    expect(page.get_by_test_id("frame-loading")).to_be_visible()
    page.wait_for_timeout(300)  # a few animation frames: whatever is drawn now stays
    loading = _grey(page.get_by_test_id("label-canvas").screenshot())
    height, width = loading.shape
    centre = loading[height // 4 : -height // 4, width // 4 : -width // 4]  # not the notice
    assert centre.std() < 1.0, (
        f"the canvas shows a picture (std {centre.std():.1f}) while frame 40 loads"
    )

    assert held, "the browser never asked for frame 40"
    for route in held:
        route.continue_()
    expect(page.get_by_test_id("frame-loading")).to_have_count(0)
    _expect_picture(page, "[data-testid=label-canvas]", "frame 40")
    shown = page.get_by_test_id("label-canvas").screenshot()
    assert _distance(_grey(shown), _grey(frame_3)) > 1.0, "frame 40 looks exactly like frame 3"


# --- steps ------------------------------------------------------------------------------


def _import(page: Page, archive: Path) -> tuple[Project, Video]:
    """Import the zip; the project has 116 labeled frames and the processed video."""
    page.goto("/")
    page.get_by_test_id("import-file").set_input_files(str(archive))
    page.get_by_test_id("import-button").click()
    page.get_by_test_id("import-project-link").click(timeout=120_000)
    project = Project.objects.get(created_by__username="alice")
    page.wait_for_url(f"**/projects/{project.id}")
    counts = page.get_by_test_id("project-counts")
    expect(counts.locator("dt:text-is('Labeled frames') + dd")).to_have_text("116")
    video = Video.objects.get(project=project, name=VIDEO)
    row = page.get_by_test_id(f"video-{video.id}")
    expect(row.get_by_test_id(f"video-status-{video.id}")).to_have_text("ready", timeout=SLOW)
    expect(row).to_contain_text(VIDEO)
    expect(row.locator("td").nth(4)).to_have_text(str(VIDEO_FRAMES))
    assert LabeledFrame.objects.filter(video__project=project).count() == 116
    return project, video


def _invite(page: Page, project: Project, role: str) -> str:
    page.goto(f"/projects/{project.id}/team")
    page.get_by_test_id("invite-role").select_option(role)
    page.get_by_test_id("invite-create").click()
    link = page.get_by_test_id("invite-link").input_value()
    assert "/invite/" in link
    return link


def _join(page: Page, link: str, project: Project, username: str) -> None:
    """A person with no account opens the link, makes one and lands in the project."""
    page.goto(link)
    expect(page.get_by_test_id("invite-project")).to_have_text(project.name)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "a-good-long-password-1")
    page.fill("input[name=password2]", "a-good-long-password-1")
    page.get_by_test_id("invite-signup-submit").click()
    page.wait_for_url(f"**/projects/{project.id}")
    expect(page.get_by_test_id("current-user")).to_have_text(username)
    expect(page.get_by_test_id("my-role")).to_have_text("annotator")
    assert Membership.objects.get(project=project, user__username=username).role == "annotator"


def _pick_frames(page: Page, project: Project) -> None:
    """The owner picks 4 evenly spaced frames of the video for the team to label."""
    page.goto(f"/projects/{project.id}")
    page.get_by_test_id("open-pick-frames").click()
    page.get_by_test_id("pick-video").select_option(label=VIDEO)
    page.get_by_test_id("pick-method").select_option("uniform")
    page.get_by_test_id("pick-count").fill("4")
    page.get_by_test_id("pick-start").click()
    expect(page.get_by_test_id("pick-job")).to_have_attribute(
        "data-status", "succeeded", timeout=60_000
    )
    todo = LabeledFrame.objects.filter(video__name=VIDEO, status="todo")
    assert sorted(todo.values_list("frame_index", flat=True)) == PICKED


def _label_next_frame(
    page: Page, project: Project, video: Video, truth: dict[int, np.ndarray], artifacts_dir: Path
) -> int:
    """Take the next frame for me, click four keypoints on the canvas, save, submit."""
    page.get_by_test_id(f"label-video-{video.id}").click()
    page.wait_for_selector("[data-testid=node-snout]")
    page.get_by_test_id("action-nextFrameForMe").click()
    frame_index = PICKED[0]
    _expect_frame_picture(page, project, video, frame_index, truth, navigate=False)

    canvas = page.get_by_test_id("label-canvas")
    box = canvas.bounding_box()
    assert box is not None
    for fx, fy in CLICKS:
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    for name in ("snout", "leftear", "rightear", "tailbase"):
        expect(page.get_by_test_id(f"node-{name}")).to_have_attribute("data-placed", "true")
    _save(page)
    placed = _points_by_node(video, frame_index)

    # Move the tail base: drag its handle 4% of the canvas to the right.
    page.mouse.move(box["x"] + box["width"] * CLICKS[3][0], box["y"] + box["height"] * CLICKS[3][1])
    page.mouse.down()
    drop = (box["x"] + box["width"] * TAILBASE_DROP[0], box["y"] + box["height"] * TAILBASE_DROP[1])
    page.mouse.move(*drop, steps=5)
    page.mouse.up()
    _save(page)
    moved = _points_by_node(video, frame_index)
    tailbase = project.nodes.get(name="tailbase").id
    assert moved[tailbase][0] - placed[tailbase][0] > 20  # image pixels, to the right
    assert moved[tailbase][1] == pytest.approx(placed[tailbase][1], abs=1.5)
    assert {n: xy for n, xy in moved.items() if n != tailbase} == {
        n: xy for n, xy in placed.items() if n != tailbase
    }
    page.screenshot(path=str(artifacts_dir / "first-day-labeling.png"))

    page.get_by_test_id("action-submitFrame").click()
    expect(page.get_by_test_id("team-message")).to_contain_text("submitted for review")
    frame = LabeledFrame.objects.get(video=video, frame_index=frame_index)
    assert frame.status == "submitted" and frame.assignee.username == "newton"
    assert all(0 < x < video.width and 0 < y < video.height for x, y in moved.values())
    return frame_index


def _save(page: Page) -> None:
    page.get_by_test_id("save-button").click()
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")


def _points_by_node(video: Video, frame_index: int) -> dict[int, tuple[float, float]]:
    frame = LabeledFrame.objects.get(video=video, frame_index=frame_index)
    return {p["node"]: (p["x"], p["y"]) for p in frame.instances.get().points}


def _expect_frame_picture(
    page: Page,
    project: Project,
    video: Video,
    frame_index: int,
    truth: dict[int, np.ndarray],
    navigate: bool = True,
) -> None:
    """The workspace shows frame ``frame_index``: a real picture, and that very frame."""
    url = f"/projects/{project.id}/videos/{video.id}/label?frame={frame_index}"
    if navigate:
        page.goto(url)
    page.wait_for_url(f"**{url}")
    expect(page.get_by_test_id("frame-counter")).to_have_text(
        f"frame {frame_index} / {VIDEO_FRAMES}"
    )
    page.wait_for_selector("[data-testid=node-snout]")  # labels loaded
    expect(page.get_by_test_id("frame-loading")).to_have_count(0, timeout=30_000)
    _expect_picture(page, "[data-testid=label-canvas]", f"frame {frame_index}")
    shown = _shown_frame(page.get_by_test_id("label-canvas").screenshot(), video)
    distance = {i: _distance(shown, frame) for i, frame in truth.items()}
    assert distance[frame_index] < SAME_FRAME, (
        f"the canvas under 'frame {frame_index}' shows another picture; "
        f"distance to the frames decoded in sequence: {distance}"
    )


def _expect_picture(page: Page, selector: str, what: str) -> None:
    """Screenshot ``selector`` until it shows a picture (the image may still be loading)."""
    stats = (0.0, 0)
    for _ in range(20):
        stats = _picture_stats(page.locator(selector).screenshot())
        if stats[0] > 12 and stats[1] > 64:  # a grey arena: ~256 grey levels
            return
        page.wait_for_timeout(500)
    pytest.fail(f"{what} is (nearly) one flat colour: pixel std {stats[0]:.1f}, {stats[1]} colours")


def _shown_frame(png: bytes, video: Video) -> np.ndarray:
    """The frame part of a labeling-canvas screenshot, placed as "fit to screen" places it
    (8 px margin, centred: frontend/src/features/labeling/canvas/geometry.ts fitViewport)."""
    canvas = Image.open(io.BytesIO(png)).convert("L")
    scale = min((canvas.width - 16) / video.width, (canvas.height - 16) / video.height)
    left = (canvas.width - video.width * scale) / 2
    top = (canvas.height - video.height * scale) / 2
    box = (left, top, left + video.width * scale, top + video.height * scale)
    return np.asarray(canvas.crop(tuple(round(v) for v in box)))


def _grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute grey-level difference of two pictures shrunk to 32x24."""

    def small(x: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(x).resize((32, 24), Image.BOX), dtype=float)

    return float(np.abs(small(a) - small(b)).mean())


def _picture_stats(png: bytes) -> tuple[float, int]:
    """Pixel standard deviation and number of distinct colours of a screenshot."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    return float(pixels.std()), len(colours)


def _approve(page: Page, project: Project, video: Video, frame_index: int) -> None:
    page.goto(f"/projects/{project.id}/review")
    page.get_by_test_id(f"review-item-{video.id}-{frame_index}").click()
    page.wait_for_selector("[data-testid=review-frame] canvas")
    _expect_picture(page, "[data-testid=review-frame] canvas", f"review of frame {frame_index}")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("review-done")).to_contain_text("Approved")
    assert LabeledFrame.objects.get(video=video, frame_index=frame_index).status == "approved"


def _train(page: Page, project: Project) -> ModelVersion:
    """Fast preset, 8 s, through the form; the model version appears in the table."""

    def smaller_network(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        body = json.loads(route.request.post_data or "{}")
        body["advanced"] = {**body.get("advanced", {}), **TINY_NETWORK}
        route.continue_(post_data=json.dumps(body))

    page.route(f"**/api/projects/{project.id}/training-jobs/", smaller_network)
    page.goto(f"/projects/{project.id}")
    page.get_by_test_id("preset-fast").check()
    page.locator("[data-testid=advanced-settings] summary").click()
    page.fill("input[name=max_seconds]", "8")
    page.get_by_test_id("train-button").click()
    job = page.locator("[data-testid^=job-][data-status]").first
    expect(job).to_have_attribute("data-status", "succeeded", timeout=SLOW)
    expect(page.get_by_test_id("model-version-1")).to_be_visible(timeout=30_000)
    page.unroute(f"**/api/projects/{project.id}/training-jobs/")
    version = ModelVersion.objects.get(job__project=project)
    assert version.job.config["preset"] == "fast" and version.job.config["max_seconds"] == 8
    return version


def _run_and_accept_a_suggestion(
    page: Page, project: Project, video: Video, artifacts_dir: Path
) -> int:
    """Run v1 on the whole video with 3 suggestions; accept the top one (its frame index)."""
    ActiveLearningSettings.objects.update_or_create(
        project=project, defaults={"weights": NO_TTA, "min_gap": 10}
    )
    page.get_by_test_id(f"run-video-{video.id}").check()
    page.get_by_test_id("run-suggest").fill("3")
    page.get_by_test_id("run-render-video").uncheck()
    page.get_by_test_id("run-inference").click()
    run_row = page.locator("[data-testid^=run-][data-status]").first
    expect(run_row).to_have_attribute("data-status", "succeeded", timeout=SLOW)
    run = InferenceRun.objects.get(video=video)

    page.get_by_test_id("link-suggestions").click()
    ranked = list(Suggestion.objects.filter(run=run).order_by("-score", "id"))
    assert ranked, "the run suggested no frame"
    top = ranked[0]
    expect(page.get_by_test_id(f"suggestion-{top.id}")).to_be_visible()
    for s in ranked:  # thumbnails are frames decoded one by one
        _expect_picture(
            page, f"[data-testid=suggestion-frame-{s.id}]", f"suggestion {s.frame_index}"
        )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts_dir / "first-day-suggestions.png"))
    page.get_by_test_id(f"accept-{top.id}").click()
    expect(page.get_by_test_id("suggestion-message")).to_contain_text(
        f"Accepted frame {top.frame_index}"
    )
    top.refresh_from_db()
    assert top.status == "accepted" and top.decided_by.username == "alice"
    frame = LabeledFrame.objects.get(video=video, frame_index=top.frame_index)
    assert frame.instances.get().source == "model"
    return top.frame_index


def _download_model(page: Page, version: ModelVersion, tmp_path: Path) -> None:
    page.goto(f"/projects/{version.job.project_id}")
    with page.expect_download() as info:
        page.get_by_test_id(f"download-{version.number}").click()
    path = tmp_path / "model.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"model.onnx", "weights.ts", "config.json"} <= names, names
        assert archive.getinfo("model.onnx").file_size > 1000


def _export_dlc(
    page: Page, video: Video, approved: int, unreviewed: list[int], truth: dict[int, np.ndarray],
    tmp_path: Path,
) -> None:  # fmt: skip
    """DeepLabCut export with the default label set (approved + submitted): scorer, date and
    project_path as DeepLabCut writes them, the 116 imported frames, and of the video only
    the approved frame, at its coordinates and with its real pixels."""
    page.get_by_test_id("export-format").select_option("dlc")
    expect(page.get_by_test_id("export-labels")).to_have_value("approved_submitted")
    page.get_by_test_id("export-button").click()
    link = page.get_by_test_id("export-download")
    expect(link).to_be_visible(timeout=SLOW)
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "export.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    root = next(iter(files)).split("/")[0]
    config = yaml.safe_load(files[f"{root}/config.yaml"])
    assert (config["scorer"], config["project_path"]) == ("Pranav", root)
    assert config["date"]
    imported = _dlc_rows(files[f"{root}/labeled-data/m4s1/CollectedData_Pranav.csv"])
    assert len(imported) == 116

    folder = f"{root}/labeled-data/{Path(VIDEO).stem}"
    rows = _dlc_rows(files[f"{folder}/CollectedData_Pranav.csv"])
    image = f"img{approved:05d}.png"
    assert list(rows) == [f"labeled-data/{Path(VIDEO).stem}/{image}"], (rows, unreviewed)
    nodes = dict(video.project.nodes.values_list("id", "name"))
    points = LabeledFrame.objects.get(video=video, frame_index=approved).instances.get().points
    expected = {(nodes[p["node"]], c): p[c] for p in points for c in ("x", "y")}
    assert next(iter(rows.values())) == pytest.approx(expected, abs=0.01)
    exported = np.asarray(Image.open(io.BytesIO(files[f"{folder}/{image}"])).convert("L"))
    assert _distance(exported, truth[approved]) < SAME_FRAME


def _dlc_rows(csv_bytes: bytes) -> dict[str, dict[tuple[str, str], float]]:
    """A single-animal DeepLabCut CSV: image path → {(bodypart, "x"/"y"): value}."""
    lines = list(csv.reader(io.StringIO(csv_bytes.decode())))
    scorer, bodyparts, coords, *rows = lines
    assert scorer[0] == "scorer" and set(scorer[1:]) == {"Pranav"}
    keys = list(zip(bodyparts[1:], coords[1:], strict=True))
    return {row[0]: {k: float(v) for k, v in zip(keys, row[1:], strict=True) if v} for row in rows}
