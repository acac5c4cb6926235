import pytest

from backend.labels.models import LabeledFrame, LabelHistory
from tests.conftest import node_ids

pytestmark = pytest.mark.django_db


def _points(project, x=12.375):
    return [{"node": n, "x": x, "y": 40.125, "visibility": 2} for n in node_ids(project)]


def _save(client, video, frame, version, instances):
    return client.put(
        f"/api/videos/{video.id}/frames/{frame}/labels/",
        {"version": version, "instances": instances},
        format="json",
    )


def test_save_and_reload_keeps_subpixel_coordinates(client_for, project, video, bob):
    client = client_for(bob)
    response = _save(client, video, 5, 0, [{"points": _points(project)}])
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 1
    frame = client.get(f"/api/videos/{video.id}/frames/5/labels/").json()
    assert frame["instances"][0]["points"][0]["x"] == 12.375
    assert frame["updated_by"]["username"] == "bob"


def test_an_unlabeled_frame_is_empty_at_version_0_and_opening_it_creates_nothing(
    client_for, video, bob
):
    response = client_for(bob).get(f"/api/videos/{video.id}/frames/5/labels/")
    assert response.status_code == 200  # not a 404 in the browser console on every new frame
    body = response.json()
    assert (body["id"], body["version"], body["instances"]) == (None, 0, [])
    assert not LabeledFrame.objects.exists()


def test_reading_a_frame_out_of_range_is_404_like_its_image(client_for, video, bob):
    response = client_for(bob).get(f"/api/videos/{video.id}/frames/999/labels/")
    assert response.status_code == 404
    assert "out of range" in response.json()["message"]


def test_stale_version_gets_409_with_current_state(client_for, project, video, bob, rita):
    assert (
        _save(client_for(bob), video, 5, 0, [{"points": _points(project, 1.0)}]).status_code == 200
    )
    assert (
        _save(client_for(rita), video, 5, 1, [{"points": _points(project, 2.0)}]).status_code == 200
    )
    stale = _save(client_for(bob), video, 5, 1, [{"points": _points(project, 3.0)}])
    assert stale.status_code == 409
    current = stale.json()["extra"]["current"]
    assert current["version"] == 2
    assert current["instances"][0]["points"][0]["x"] == 2.0
    assert "rita" in stale.json()["message"]


def test_two_first_saves_do_not_both_win(client_for, project, video, bob, rita):
    assert _save(client_for(bob), video, 7, 0, [{"points": _points(project)}]).status_code == 200
    assert _save(client_for(rita), video, 7, 0, [{"points": _points(project)}]).status_code == 409


def test_every_accepted_save_is_in_history(client_for, project, video, bob):
    client = client_for(bob)
    for version in range(3):
        assert (
            _save(client, video, 9, version, [{"points": _points(project, version)}]).status_code
            == 200
        )
    history = client.get(f"/api/videos/{video.id}/frames/9/history/").json()
    assert [h["version"] for h in history] == [1, 2, 3]
    assert history[2]["before"][0]["points"][0]["x"] == 1.0
    assert history[2]["after"][0]["points"][0]["x"] == 2.0
    assert LabelHistory.objects.count() == 3


@pytest.mark.parametrize(
    "instances,message",
    [
        ([{"points": [{"node": 999999, "x": 1, "y": 1}]}], "not in the skeleton"),
        ([{"points": [{"node": "N", "x": 1, "y": 1, "visibility": 5}]}], "visibility"),
        ([{"points": [{"node": "N", "x": "nan", "y": 1}]}], "valid number"),
        (
            [{"points": [{"node": "N", "x": 1, "y": 1}, {"node": "N", "x": 2, "y": 2}]}],
            "same node twice",
        ),
    ],
)
def test_bad_points_are_refused(client_for, project, video, bob, instances, message):
    first = node_ids(project)[0]
    for point in instances[0]["points"]:
        if point["node"] == "N":
            point["node"] = first
    response = _save(client_for(bob), video, 1, 0, instances)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not LabeledFrame.objects.exists()


def test_frame_index_out_of_range(client_for, project, video, bob):
    response = _save(client_for(bob), video, 999, 0, [{"points": _points(project)}])
    assert response.status_code == 400


@pytest.mark.parametrize(
    "who,status", [("vic", 403), ("eve", 404), ("bob", 200), ("rita", 200), ("alice", 200)]
)
def test_who_may_save_labels(request, client_for, project, video, who, status):
    response = _save(
        client_for(request.getfixturevalue(who)), video, 2, 0, [{"points": _points(project)}]
    )
    assert response.status_code == status


def test_counts_follow_labels(client_for, project, video, bob):
    _save(client_for(bob), video, 2, 0, [{"points": _points(project)}])
    counts = client_for(bob).get(f"/api/projects/{project.id}/").json()["counts"]
    assert counts["labeled_frames"] == 1
    assert counts["by_status"]["in_progress"] == 1
