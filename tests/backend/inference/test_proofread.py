"""Proofreading a run's tracks through the API: edits, versions, range locks, undo,
exports that follow the edits, and accepting the result as labels.

The run holds two tracked mice on frames 0..9, written in the npz contract
(:mod:`tests.backend.inference.test_multi_instance`): mouse-a walks right from
x=20 at y=30, mouse-b walks up at x=80 and is missing on frame 3.
"""

from __future__ import annotations

import io
import threading

import pandas as pd
import pytest
from django.db import connection

from backend.common import storage
from backend.inference import proofread
from backend.inference.models import InferenceRun, RetrackJob
from backend.inference.retrack import retrack_publish
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from tests.backend.inference.test_multi_instance import (  # noqa: F401
    FRAMES,
    _human,
    _two_mice,
    _write,
    several_animals,
    version,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mice_run(project, video, version, alice):  # noqa: F811
    return InferenceRun.objects.create(
        project=project, model_version=version, video=video, created_by=alice,
        status=InferenceRun.Status.SUCCEEDED,
        predictions_file=_write(f"mice-{video.id}", ["mouse-a", "mouse-b"], **_two_mice()),
    )  # fmt: skip


def url(run, tail: str = "") -> str:
    return f"/api/inference-runs/{run.id}/tracks/{tail}"


def edit(client, run, **body):
    return client.post(url(run, "edits/"), body, format="json")


def tracks_by_frame(client, run) -> list[list[str | None]]:
    """Per frame, the track of each instance, told apart by x: [left one (mouse-a), right one]."""
    body = client.get(f"/api/inference-runs/{run.id}/predictions/", {"start": 0}).json()
    out = []
    for frame in body["frames"]:
        by_side: list[str | None] = [None, None]
        for instance in frame["instances"]:
            by_side[int(instance["points"][0][0] > 50)] = instance["track"]
        out.append(by_side)
    return out


def swap_from(client, run, start: int, based_on: int = 0, stop: int | None = None):
    return edit(client, run, op="swap", tracks=["mouse-a", "mouse-b"], start=start, stop=stop,
                version=based_on)  # fmt: skip


# --- the timeline -------------------------------------------------------------------------


def test_a_viewer_sees_one_row_per_track_with_gaps_and_the_spots_to_check(client_for, mice_run, vic):
    response = client_for(vic).get(url(mice_run))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 0 and body["frames"] == [0, FRAMES]
    a, b = body["tracks"]
    assert a["track"] == "mouse-a" and a["segments"] == [[0, 10]]
    assert b["segments"] == [[0, 3], [4, 10]]
    spots = [(s["frame"], s["kind"], s["tracks"]) for s in body["suspicious"]]
    assert (2, "end", ["mouse-b"]) in spots and (4, "spawn", ["mouse-b"]) in spots
    assert body["locks"] == [] and body["can_undo"] is False


# --- edits and versions -------------------------------------------------------------------


def test_swapping_two_tracks_from_a_frame_on_changes_the_predictions(client_for, mice_run, bob):
    client = client_for(bob)
    response = swap_from(client, mice_run, start=5)

    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 1
    assert response.json()["edit"]["start"] == 5 and response.json()["edit"]["stop"] == FRAMES
    tracks = tracks_by_frame(client, mice_run)
    assert tracks[4] == ["mouse-a", "mouse-b"] and tracks[5] == ["mouse-b", "mouse-a"]
    assert tracks[9] == ["mouse-b", "mouse-a"]
    mice_run.refresh_from_db()
    assert mice_run.tracks_version == 1


def test_the_old_file_goes_once_the_edit_commits(
    client_for, mice_run, bob, django_capture_on_commit_callbacks
):
    old = mice_run.predictions_file
    with django_capture_on_commit_callbacks(execute=True):
        swap_from(client_for(bob), mice_run, start=5)
    mice_run.refresh_from_db()
    assert mice_run.predictions_file != old and not storage.exists(old)


def test_an_edit_on_a_stale_version_conflicts_only_where_frames_changed_meanwhile(
    client_for, mice_run, alice, bob
):
    assert swap_from(client_for(bob), mice_run, start=5).status_code == 201

    overlapping = swap_from(client_for(alice), mice_run, start=7, based_on=0)
    disjoint = swap_from(client_for(alice), mice_run, start=0, stop=3, based_on=0)

    assert overlapping.status_code == 409
    assert "bob changed frames 5–9" in overlapping.json()["message"]
    assert overlapping.json()["extra"]["version"] == 1
    assert disjoint.status_code == 201, disjoint.json()
    assert disjoint.json()["version"] == 2
    tracks = tracks_by_frame(client_for(alice), mice_run)
    assert tracks[0] == ["mouse-b", "mouse-a"] and tracks[4] == ["mouse-a", "mouse-b"]
    assert tracks[6] == ["mouse-b", "mouse-a"]  # bob's swap stays


def test_an_edit_that_loses_the_race_is_applied_on_top_of_the_winner(
    client_for, mice_run, alice, bob, monkeypatch, django_capture_on_commit_callbacks
):
    """Between reading the file and swapping it in, bob's edit commits: alice's is redone."""
    real_write = proofread._write
    raced = []

    def write_after_bob(run, applied):
        if not raced:
            raced.append(True)
            proofread.track_edit_apply(
                run=run, user=bob, version=0,
                op={"op": "swap", "tracks": ["mouse-a", "mouse-b"], "start": 6, "stop": None},
            )  # fmt: skip
        return real_write(run, applied)

    monkeypatch.setattr(proofread, "_write", write_after_bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = swap_from(client_for(alice), mice_run, start=0, stop=2, based_on=0)

    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 2
    tracks = tracks_by_frame(client_for(alice), mice_run)
    assert tracks[0] == ["mouse-b", "mouse-a"] and tracks[3] == ["mouse-a", None]
    assert tracks[7] == ["mouse-b", "mouse-a"]
    prefix = f"predictions/project-{mice_run.project_id}/run-{mice_run.id}"
    assert len(storage.list_keys(prefix)) == 1  # the losing attempt's file was deleted


@pytest.mark.django_db(transaction=True)
def test_two_people_editing_disjoint_ranges_at_the_same_time_both_succeed(
    client_for, mice_run, alice, bob
):
    barrier, responses = threading.Barrier(2), {}

    def work(user, start, stop):
        try:
            barrier.wait()
            responses[user.username] = swap_from(client_for(user), mice_run, start, stop=stop)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(alice, 0, 3)),
               threading.Thread(target=work, args=(bob, 6, None))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert {name: r.status_code for name, r in responses.items()} == {"alice": 201, "bob": 201}
    tracks = tracks_by_frame(client_for(alice), mice_run)
    assert tracks[1] == ["mouse-b", "mouse-a"] and tracks[4] == ["mouse-a", "mouse-b"]
    assert tracks[8] == ["mouse-b", "mouse-a"]
    mice_run.refresh_from_db()
    assert mice_run.tracks_version == 2


def test_merge_split_assign_and_delete(client_for, several_animals, mice_run, bob):  # noqa: F811
    client = client_for(bob)
    merge = edit(client, mice_run, op="merge", track="mouse-b", into="mouse-a", version=0)
    assert merge.status_code == 400 and "both seen" in merge.json()["message"]

    split = edit(client, mice_run, op="split", track="mouse-a", frame=6, new_track="mouse-c",
                 version=0)  # fmt: skip
    assert split.status_code == 201, split.json()
    assert [t[0] for t in tracks_by_frame(client, mice_run)][5:7] == ["mouse-a", "mouse-c"]

    merged = edit(client, mice_run, op="merge", track="mouse-c", into="mouse-a", version=1)
    assert merged.status_code == 201, merged.json()
    assert [r["track"] for r in client.get(url(mice_run)).json()["tracks"]] == ["mouse-a", "mouse-b"]

    assign = edit(client, mice_run, op="assign", frame=3, instance=0, track=None, version=2)
    assert assign.status_code == 201, assign.json()
    assert tracks_by_frame(client, mice_run)[3] == [None, None]

    delete = edit(client, mice_run, op="delete", frame=5, instance=1, version=3)
    assert delete.status_code == 201, delete.json()
    frame = client.get(f"/api/videos/{mice_run.video_id}/predictions/5/").json()
    assert [i["track"] for i in frame["instances"]] == ["mouse-a"]


def test_a_bad_edit_is_a_400_naming_the_problem(client_for, mice_run, bob):
    response = edit(client_for(bob), mice_run, op="assign", frame=5, instance=4, track="x",
                    version=0)  # fmt: skip
    assert response.status_code == 400 and "no instance 4" in response.json()["message"]
    response = edit(client_for(bob), mice_run, op="swap", tracks=["mouse-a", "zz"], start=0,
                    version=0)  # fmt: skip
    assert response.status_code == 400 and "no track 'zz'" in response.json()["message"]


def test_the_smoothed_copy_follows_and_undo_gives_it_back_its_own_points(client_for, mice_run, bob):
    arrays = _two_mice()
    arrays["points"] = arrays["points"] + 0.5
    mice_run.smoothed_file = _write("mice-smoothed", ["mouse-a", "mouse-b"], **arrays)
    mice_run.save()
    client = client_for(bob)
    range_url = f"/api/inference-runs/{mice_run.id}/predictions/"

    def frame_five(smoothed: int) -> list:
        body = client.get(range_url, {"start": 5, "stop": 6, "smoothed": smoothed}).json()
        return [(i["track"], i["points"][0][0]) for i in body["frames"][0]["instances"]]

    assert swap_from(client, mice_run, start=5).status_code == 201
    assert frame_five(1) == [("mouse-b", 25.5), ("mouse-a", 80.5)]
    assert edit(client, mice_run, op="delete", frame=5, instance=1, version=1).status_code == 201
    assert frame_five(0) == [("mouse-b", 25.0)] and frame_five(1) == [("mouse-b", 25.5)]

    assert client.post(url(mice_run, "undo/")).status_code == 201

    assert frame_five(0) == [("mouse-b", 25.0), ("mouse-a", 80.0)]
    assert frame_five(1) == [("mouse-b", 25.5), ("mouse-a", 80.5)]


# --- undo ---------------------------------------------------------------------------------


def test_undo_reverts_your_latest_edit_even_after_someone_elses_elsewhere(
    client_for, mice_run, alice, bob
):
    before = tracks_by_frame(client_for(bob), mice_run)
    delete = edit(client_for(bob), mice_run, op="delete", frame=8, instance=1, version=0)
    assert delete.status_code == 201
    assert swap_from(client_for(alice), mice_run, start=0, stop=3, based_on=1).status_code == 201

    response = client_for(bob).post(url(mice_run, "undo/"))

    assert response.status_code == 201, response.json()
    assert response.json()["edit"]["undoes"] == delete.json()["edit"]["id"]
    after = tracks_by_frame(client_for(bob), mice_run)
    assert after[8] == before[8] and after[0] == ["mouse-b", "mouse-a"]
    nothing = client_for(bob).post(url(mice_run, "undo/"))
    assert nothing.status_code == 400 and "no edit" in nothing.json()["message"]


def test_undo_refuses_to_revert_frames_someone_changed_since(client_for, mice_run, alice, bob):
    assert swap_from(client_for(bob), mice_run, start=5).status_code == 201
    assert swap_from(client_for(alice), mice_run, start=8, based_on=1).status_code == 201

    response = client_for(bob).post(url(mice_run, "undo/"))

    assert response.status_code == 409 and "alice changed frames 8–9" in response.json()["message"]
    assert client_for(alice).post(url(mice_run, "undo/")).status_code == 201
    assert client_for(bob).post(url(mice_run, "undo/")).status_code == 201  # alice's is undone
    assert tracks_by_frame(client_for(bob), mice_run)[9] == ["mouse-a", "mouse-b"]


def test_after_a_retrack_old_versions_are_stale_and_old_edits_cannot_be_undone(
    client_for, mice_run, bob
):
    assert swap_from(client_for(bob), mice_run, start=5).status_code == 201
    mice_run.refresh_from_db()
    job = RetrackJob.objects.create(run=mice_run, tracking={}, status="running")
    summary = {"settings": {}, "tracks": 2, "frames_per_second": 1.0, "seconds": 0.0}
    retracked = _write("retracked", ["mouse-a", "mouse-b"], **_two_mice())
    assert retrack_publish(job_id=job.id, read={"predictions_file": mice_run.predictions_file},
                           written={"predictions_file": retracked}, tracking=summary)  # fmt: skip
    job.status = "succeeded"
    job.save()

    stale = swap_from(client_for(bob), mice_run, start=0, stop=2, based_on=1)
    undo = client_for(bob).post(url(mice_run, "undo/"))

    assert stale.status_code == 409 and "re-tracked" in stale.json()["message"]
    assert undo.status_code == 409 and "re-tracked" in undo.json()["message"]
    assert swap_from(client_for(bob), mice_run, start=0, stop=2, based_on=2).status_code == 201


# --- range locks --------------------------------------------------------------------------


def test_range_locks_keep_others_out_of_your_frames_but_not_out_of_theirs(
    client_for, mice_run, alice, bob
):
    taken = client_for(bob).post(url(mice_run, "locks/"), {"start": 0, "stop": 5}, format="json")
    assert taken.status_code == 200 and taken.json()["lock"]["user"] == "bob"

    clash = client_for(alice).post(url(mice_run, "locks/"), {"start": 3, "stop": 8}, format="json")
    assert clash.status_code == 409 and "bob is proofreading frames 0–4" in clash.json()["message"]
    into_bobs = swap_from(client_for(alice), mice_run, start=4, stop=6)
    assert into_bobs.status_code == 409 and "bob" in into_bobs.json()["message"]

    mine = client_for(alice).post(url(mice_run, "locks/"), {"start": 5, "stop": 10}, format="json")
    assert mine.status_code == 200
    assert swap_from(client_for(alice), mice_run, start=5).status_code == 201
    assert swap_from(client_for(bob), mice_run, start=0, stop=5, based_on=0).status_code == 201
    assert [lock["user"] for lock in client_for(bob).get(url(mice_run)).json()["locks"]] == [
        "bob", "alice"
    ]

    assert client_for(bob).delete(url(mice_run, "locks/")).status_code == 204
    assert swap_from(client_for(alice), mice_run, start=0, stop=2, based_on=2).status_code == 201


# --- exports ------------------------------------------------------------------------------


def _csv(client, run) -> pd.DataFrame:
    response = client.get(f"/api/inference-runs/{run.id}/export/dlc-csv/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return pd.read_csv(io.BytesIO(data), header=[0, 1, 2, 3], index_col=0)


def test_exports_carry_the_corrected_tracks(client_for, mice_run, bob, vic, tmp_path):
    import sleap_io as sio

    before = _csv(client_for(vic), mice_run)  # cached, then made stale by the edit
    scorer = before.columns.get_level_values(0)[0]
    assert before.loc[7, (scorer, "mouse-a", "snout", "x")] == 27.0

    assert swap_from(client_for(bob), mice_run, start=5).status_code == 201

    table = _csv(client_for(vic), mice_run)
    assert table.loc[4, (scorer, "mouse-a", "snout", "x")] == 24.0
    assert table.loc[7, (scorer, "mouse-a", "snout", "x")] == 80.0
    assert table.loc[7, (scorer, "mouse-b", "snout", "x")] == 27.0
    response = client_for(vic).get(f"/api/inference-runs/{mice_run.id}/export/slp/")
    path = tmp_path / "mice.slp"
    path.write_bytes(b"".join(response.streaming_content))
    frames = sio.load_slp(str(path)).labeled_frames
    by_track = {i.track.name: i.numpy()[0, 0] for i in frames[7].instances}
    assert by_track == {"mouse-a": 80.0, "mouse-b": 27.0}


# --- accepting as labels ------------------------------------------------------------------


def test_accepting_proofread_frames_adds_model_instances_with_provenance(
    client_for, several_animals, mice_run, alice, bob  # noqa: F811
):
    assert swap_from(client_for(bob), mice_run, start=5).status_code == 201
    # alice labeled mouse-b by hand on frame 6: her instance stays and keeps its track
    hers = _human(several_animals, 200, 150, "mouse-b")
    labels_save(video=mice_run.video, frame_index=6, user=alice, version=0, instances=[hers])

    response = client_for(alice).post(url(mice_run, "accept/"), {"start": 5, "stop": 7},
                                      format="json")  # fmt: skip

    assert response.status_code == 200, response.json()
    assert [a["frame_index"] for a in response.json()["accepted"]] == [5, 6]
    five = LabeledFrame.objects.get(video=mice_run.video, frame_index=5)
    assert [(i.source, i.track, i.points[0]["x"]) for i in five.instances.all()] == [
        ("model", "mouse-b", 25.0), ("model", "mouse-a", 80.0)
    ]
    six = LabeledFrame.objects.get(video=mice_run.video, frame_index=6)
    assert [(i.source, i.track) for i in six.instances.all()] == [
        ("human", "mouse-b"), ("model", "mouse-a")
    ]
    history = five.history.order_by("-id").first()
    assert history.action == "accept_proofread"
    provenance = history.after[0]["provenance"]
    assert provenance["run"] == mice_run.id and provenance["proofread_by"] == ["bob"]
    assert provenance["model_version"] == mice_run.model_version_id and provenance["by"] == "alice"


# --- permissions --------------------------------------------------------------------------


def test_viewers_read_but_do_not_edit_and_outsiders_see_nothing(client_for, mice_run, vic, eve):
    assert swap_from(client_for(vic), mice_run, start=5).status_code == 403
    assert client_for(vic).post(url(mice_run, "undo/")).status_code == 403
    assert client_for(vic).post(url(mice_run, "locks/"), {"start": 0, "stop": 2},
                                format="json").status_code == 403  # fmt: skip
    assert client_for(vic).get(url(mice_run, "edits/")).status_code == 200
    for tail in ("", "edits/"):
        assert client_for(eve).get(url(mice_run, tail)).status_code == 404
    assert swap_from(client_for(eve), mice_run, start=5).status_code == 404
