"""Re-tracking a finished run (a job that swaps its predictions file) and the tracker settings.

The runs here hold two mice written in the npz contract without a model
(:mod:`tests.backend.inference.test_multi_instance`), their identities wiped,
so only the tracker can give them back.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from backend.common import storage
from backend.inference.exports import export_key
from backend.inference.models import InferenceRun, RetrackJob, Suggestion
from tests.backend.inference.test_multi_instance import FRAMES, _two_mice, _write, version  # noqa: F401

pytestmark = pytest.mark.django_db


def _untracked() -> dict[str, np.ndarray]:
    """The two mice without identities, plus the anchors a model's file has."""
    arrays = {**_two_mice(), "track_ids": np.full((FRAMES, 2), -1, np.int32)}
    return {**arrays, "anchors": arrays["points"].mean(axis=2)}


@pytest.fixture
def two_mice_project(project):
    project.max_instances = 2  # the tracker's animal cap defaults to it
    project.save()
    return project


@pytest.fixture
def untracked_run(two_mice_project, video, version, alice):  # noqa: F811
    key = _write("untracked-mice", [], **_untracked())
    return InferenceRun.objects.create(
        project=two_mice_project, model_version=version, video=video, created_by=alice,
        status=InferenceRun.Status.SUCCEEDED, predictions_file=key, summary={"frames": FRAMES},
        suggestions_config={"n": 3, "weights": {"uncertainty": 1.0}, "min_gap": 1},
    )  # fmt: skip


@pytest.fixture
def retrack(client_for, django_capture_on_commit_callbacks):
    """``retrack(user, run, **body)`` -> the response; the job runs eagerly on commit."""

    def post(user, run, **body):
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(user).post(
                f"/api/inference-runs/{run.id}/retrack/", body, format="json"
            )

    return post


def _range(client, run) -> dict:
    response = client.get(f"/api/inference-runs/{run.id}/predictions/", {"start": 0})
    assert response.status_code == 200
    return response.json()


def _tracks_by_mouse(body: dict) -> list[set]:
    """Per mouse (told apart by x: mouse-a walks right from 20, mouse-b stays at 80), its track names."""
    tracks: list[set] = [set(), set()]
    for frame in body["frames"]:
        for instance in frame["instances"]:
            tracks[int(instance["points"][0][0] > 50)].add(instance["track"])
    return tracks


def test_retracking_gives_each_animal_one_track_name_in_the_predictions_api(
    client_for, retrack, untracked_run, bob, vic
):
    before = _range(client_for(vic), untracked_run)
    assert {i["track"] for f in before["frames"] for i in f["instances"]} == {None}

    response = retrack(bob, untracked_run, tracking={"window": 3, "similarity": "centroid"})

    assert response.status_code == 202, response.json()
    job = RetrackJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    mouse_a, mouse_b = _tracks_by_mouse(_range(client_for(vic), untracked_run))
    assert len(mouse_a) == 1 and len(mouse_b) == 1 and mouse_a != mouse_b
    assert mouse_a | mouse_b == {"track_0", "track_1"}


def test_the_run_summary_records_tracking_speed_tracks_and_settings(
    client_for, retrack, untracked_run, bob
):
    retrack(bob, untracked_run, tracking={"motion": "kalman"})

    run = client_for(bob).get(f"/api/inference-runs/{untracked_run.id}/").json()
    tracking = run["summary"]["tracking"]
    assert tracking["tracks"] == 2 and tracking["frames_per_second"] > 0
    assert tracking["settings"]["motion"] == "kalman"
    assert tracking["settings"]["max_tracks"] == 2  # the project's animal count
    assert run["tracking"] == tracking["settings"]
    assert run["summary"]["frames"] == FRAMES  # the rest of the summary stays
    assert run["retrack"]["status"] == "succeeded" and run["retrack"]["result"] == tracking


def test_the_new_file_replaces_the_old_one_and_stale_exports_go(
    client_for, retrack, untracked_run, bob
):
    old_key = untracked_run.predictions_file
    csv_key = export_key(run=untracked_run, fmt="dlc-csv")
    assert b"individual1" in storage.read_bytes(csv_key)

    retrack(bob, untracked_run)

    untracked_run.refresh_from_db()
    assert untracked_run.predictions_file != old_key
    assert not storage.exists(old_key) and not storage.exists(csv_key)
    fresh = storage.read_bytes(export_key(run=untracked_run, fmt="dlc-csv"))
    assert b"track_0" in fresh and b"individual1" not in fresh
    with np.load(storage.local_path(untracked_run.predictions_file)) as data:
        meta = json.loads(str(data["meta"]))
        assert meta["tracking"]["config"]["max_tracks"] == 2
        assert data["track_ids"].shape == (FRAMES, 2)
        np.testing.assert_allclose(data["points"], _two_mice()["points"])  # not re-inferred


def test_a_smoothed_copy_gets_the_same_identities(client_for, retrack, untracked_run, bob, vic):
    arrays = _untracked()
    arrays["points"] = arrays["points"] + 0.5
    untracked_run.smoothed_file = _write("untracked-mice-smoothed", [], **arrays)
    untracked_run.save()

    retrack(bob, untracked_run)

    untracked_run.refresh_from_db()
    with np.load(storage.local_path(untracked_run.predictions_file)) as raw, np.load(
        storage.local_path(untracked_run.smoothed_file)
    ) as smoothed:
        np.testing.assert_array_equal(raw["track_ids"], smoothed["track_ids"])
        assert (raw["track_ids"] >= 0).sum() == 2 * FRAMES - 1  # mouse-b is missing on frame 3
    body = client_for(vic).get(
        f"/api/inference-runs/{untracked_run.id}/predictions/", {"start": 0, "smoothed": 1}
    ).json()
    assert {i["track"] for i in body["frames"][0]["instances"]} == {"track_0", "track_1"}


def test_suggestions_are_ranked_again_from_the_new_file(retrack, untracked_run, bob):
    stale = Suggestion.objects.create(
        run=untracked_run, video=untracked_run.video, frame_index=9, score=0.1
    )

    retrack(bob, untracked_run)

    assert not Suggestion.objects.filter(pk=stale.pk).exists()
    fresh = untracked_run.suggestions.filter(status="pending")
    assert 0 < fresh.count() <= 3


def test_without_settings_the_run_keeps_its_own(retrack, untracked_run, bob):
    untracked_run.tracking = {"window": 7}
    untracked_run.save()

    response = retrack(bob, untracked_run)

    assert response.json()["tracking"] == {"window": 7}


def test_a_second_retrack_waits_for_the_first(client_for, untracked_run, bob):
    client = client_for(bob)
    url = f"/api/inference-runs/{untracked_run.id}/retrack/"
    assert client.post(url, {}, format="json").status_code == 202  # queued, never run here
    second = client.post(url, {}, format="json")
    assert second.status_code == 409 and "already" in second.json()["message"]


def test_a_run_that_did_not_succeed_is_not_retracked(client_for, untracked_run, bob):
    untracked_run.status = InferenceRun.Status.FAILED
    untracked_run.save()
    response = client_for(bob).post(f"/api/inference-runs/{untracked_run.id}/retrack/")
    assert response.status_code == 400 and "succeeded" in response.json()["message"]


def test_a_run_whose_files_changed_meanwhile_is_not_overwritten(retrack, untracked_run, bob):
    from backend.inference import retrack as retrack_module

    job = RetrackJob.objects.create(run=untracked_run, tracking={}, status="running")
    read = {"predictions_file": "predictions/somewhere-else.npz"}
    written = {"predictions_file": storage.save_bytes("predictions/new.npz", b"x")}
    summary = {"settings": {}, "tracks": 0, "frames_per_second": 1.0, "seconds": 0.0}

    assert not retrack_module.retrack_publish(
        job_id=job.id, read=read, written=written, tracking=summary
    )
    untracked_run.refresh_from_db()
    assert untracked_run.predictions_file != "predictions/new.npz"


# --- permissions ---------------------------------------------------------------------------


def test_viewers_cannot_retrack_and_outsiders_do_not_see_the_run(client_for, untracked_run, vic, eve):
    url = f"/api/inference-runs/{untracked_run.id}/retrack/"
    assert client_for(vic).post(url, {}, format="json").status_code == 403
    assert client_for(eve).post(url, {}, format="json").status_code == 404
    assert not RetrackJob.objects.exists()


def test_the_owner_retracks_too(retrack, untracked_run, alice):
    assert retrack(alice, untracked_run).status_code == 202


# --- settings: bounded and strict ----------------------------------------------------------

BAD_SETTINGS = [
    ({"window": 0}, "tracking.window must be from 1 to 300"),
    ({"window": 100_000}, "tracking.window must be from 1 to 300"),
    ({"window": 2.5}, "tracking.window must be a whole number"),
    ({"window": "5"}, "tracking.window must be a whole number"),
    ({"max_tracks": 65}, "tracking.max_tracks must be from 1 to 64"),
    ({"min_similarity": 1.5}, "tracking.min_similarity must be from 0 to 0.99"),
    ({"oks_sigma": None}, "tracking.oks_sigma must be a number from 0.001 to 10"),
    ({"similarity": "vibes"}, "tracking.similarity must be one of oks, centroid, iou"),
    ({"motion": "teleport"}, "tracking.motion must be one of none, constant_velocity, kalman"),
    ({"stitch": "yes"}, "tracking.stitch must be true or false"),
    ({"min_points": True}, "tracking.min_points must be a whole number"),
    ({"gpu": True}, "tracking: unknown setting 'gpu'"),
]


@pytest.mark.parametrize(("tracking", "message"), BAD_SETTINGS)
def test_bad_settings_are_refused_naming_the_field(client_for, untracked_run, bob, tracking, message):
    response = client_for(bob).post(
        f"/api/inference-runs/{untracked_run.id}/retrack/", {"tracking": tracking}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith(message), response.json()
    assert not RetrackJob.objects.exists()


def test_infinite_numbers_are_refused_too():
    from backend.common.exceptions import ApplicationError
    from backend.inference.tracking import tracking_validate

    with pytest.raises(ApplicationError, match=r"tracking.oks_sigma must be a number"):
        tracking_validate({"oks_sigma": float("inf")}, max_tracks=None)


def test_a_run_form_with_bad_tracking_is_refused(client_for, untracked_run, bob, no_enqueue):
    project = untracked_run.project
    response = client_for(bob).post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": untracked_run.model_version_id, "videos": [untracked_run.video_id],
         "tracking": {"window": -1}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"].startswith("tracking.window must be from 1 to 300")
    assert response.json()["extra"]["field"] == "tracking.window"


def test_a_run_form_stores_the_full_settings_with_the_projects_animal_count(
    client_for, untracked_run, bob, no_enqueue
):
    project = untracked_run.project
    response = client_for(bob).post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": untracked_run.model_version_id, "videos": [untracked_run.video_id],
         "tracking": {"similarity": "centroid", "window": 10}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    (run,) = response.json()
    assert run["tracking"]["similarity"] == "centroid" and run["tracking"]["window"] == 10
    assert run["tracking"]["max_tracks"] == 2 and run["tracking"]["motion"] == "constant_velocity"
    off = client_for(bob).post(
        f"/api/projects/{project.id}/inference-runs/",
        {"model_version": untracked_run.model_version_id, "videos": [untracked_run.video_id]},
        format="json",
    )  # fmt: skip
    assert off.json()[0]["tracking"] is None



# --- tracking inside a real inference run --------------------------------------------------


def test_a_tracked_run_names_its_animal_and_times_tracking_apart_then_retracks(
    infer, retrack, client_for, project, model_version, labeled_video, bob
):
    (run,) = infer(bob, project, model_version, [labeled_video], suggest=0, render_video=False,
                   tracking={"window": 3, "similarity": "centroid"})  # fmt: skip

    assert run.status == "succeeded", run.error
    tracking = run.summary["tracking"]
    assert tracking["tracks"] == 1 and tracking["frames_per_second"] > 0
    assert tracking["settings"]["max_tracks"] == 1  # the single-animal project
    assert run.summary["frames_per_second"] > 0  # inference speed, reported on its own
    frames = _range(client_for(bob), run)["frames"]
    assert {i["track"] for f in frames for i in f["instances"]} == {"track_0"}

    assert retrack(bob, run, tracking={"motion": "none", "window": 1}).status_code == 202
    run.refresh_from_db()
    assert run.retrack_jobs.get().status == "succeeded"
    assert run.summary["tracking"]["settings"]["motion"] == "none"
    frames = _range(client_for(bob), run)["frames"]
    assert {i["track"] for f in frames for i in f["instances"]} == {"track_0"}


def test_a_retrack_whose_worker_died_runs_again(
    untracked_run, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from backend.common import jobs

    job = RetrackJob.objects.create(run=untracked_run, tracking={"window": 2}, status="running",
                                    heartbeat_at=timezone.now(), worker="gone")  # fmt: skip
    later = timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)

    with django_capture_on_commit_callbacks(execute=True):
        reaped = jobs.reap(now=later, only=[RetrackJob])

    assert reaped == {"inference.RetrackJob": [job.id]}
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("succeeded", 2), job.error
    untracked_run.refresh_from_db()
    assert untracked_run.summary["tracking"]["settings"]["window"] == 2
