"""Renaming and deleting tracks (issue #14): labels name their track, so a rename
carries the project's instances along, and a track in use cannot be deleted."""

import pytest

from backend.labels.models import Instance, LabeledFrame, LabelHistory
from tests.conftest import node_ids

pytestmark = pytest.mark.django_db


def _patch(client, project, body):
    return client.patch(f"/api/projects/{project.id}/", body, format="json")


def _save(client, video, tracks, frame=3, version=0):
    points = [{"node": n, "x": 10.0, "y": 20.0, "visibility": 2} for n in node_ids(video.project)]
    return client.put(
        f"/api/videos/{video.id}/frames/{frame}/labels/",
        {"version": version, "instances": [{"track": t, "points": points} for t in tracks]},
        format="json",
    )


@pytest.fixture
def two_tracks(client_for, project, alice):
    body = _patch(
        client_for(alice), project, {"max_instances": 2, "tracks": [{"name": "A"}, {"name": "B"}]}
    ).json()
    return {t["name"]: t for t in body["tracks"]}


def test_tracks_are_sent_with_their_ids(two_tracks, project):
    assert {name: t["id"] for name, t in two_tracks.items()} == dict(
        project.tracks.values_list("name", "id")
    )


def test_a_rename_keeps_the_track_and_renames_its_labels_without_a_new_version(
    client_for, project, video, alice, bob, two_tracks
):
    assert _save(client_for(bob), video, ["A", "B"]).status_code == 200
    a, b = two_tracks["A"], two_tracks["B"]
    response = _patch(client_for(alice), project, {"tracks": [{**a, "name": "mouse A"}, b]})
    assert response.status_code == 200, response.json()
    assert [(t["id"], t["name"]) for t in response.json()["tracks"]] == [
        (a["id"], "mouse A"),
        (b["id"], "B"),
    ]
    frame = LabeledFrame.objects.get(video=video, frame_index=3)
    assert [i.track for i in frame.instances.all()] == ["mouse A", "B"]
    assert (frame.version, LabelHistory.objects.filter(labeled_frame=frame).count()) == (1, 1)
    # The renamed labels save again (the old name would now be an unknown track).
    assert _save(client_for(bob), video, ["mouse A", "B"], version=1).status_code == 200


def test_two_tracks_can_swap_names(client_for, project, video, alice, bob, two_tracks):
    _save(client_for(bob), video, ["A", "B"])
    a, b = two_tracks["A"], two_tracks["B"]
    response = _patch(client_for(alice), project, {"tracks": [{**a, "name": "B"}, {**b, "name": "A"}]})
    assert response.status_code == 200, response.json()
    assert [(t["id"], t["name"]) for t in response.json()["tracks"]] == [(a["id"], "B"), (b["id"], "A")]
    assert list(Instance.objects.order_by("id").values_list("track", flat=True)) == ["B", "A"]


def test_a_rename_leaves_other_projects_alone(client_for, project, video, alice, two_tracks):
    from backend.projects.services import project_create

    other = project_create(name="Other", owner=alice, max_instances=2, tracks=[{"name": "A"}])
    other_frame = LabeledFrame.objects.create(video=_video_in(other, video), frame_index=9)
    Instance.objects.create(labeled_frame=other_frame, track="A")
    _patch(client_for(alice), project, {"tracks": [{**two_tracks["A"], "name": "Z"}, two_tracks["B"]]})
    assert Instance.objects.get(labeled_frame=other_frame).track == "A"


def _video_in(project, like):
    from backend.videos.models import Video

    return Video.objects.create(
        project=project, uid="other-video", name="o.mp4", file="o.mp4", fps=like.fps,
        frame_count=like.frame_count, width=like.width, height=like.height, codec=like.codec,
    )  # fmt: skip


def test_deleting_a_track_in_use_is_refused_naming_how_many_instances(
    client_for, project, video, alice, bob, two_tracks
):
    _save(client_for(bob), video, ["A", "B"], frame=3)
    _save(client_for(bob), video, ["A"], frame=5)
    response = _patch(client_for(alice), project, {"tracks": [two_tracks["B"]]})
    assert response.status_code == 400
    body = response.json()
    assert "track 'A' is used by 2 instances" in body["message"]
    assert body["extra"] == {"instances_using": {"A": 2}}
    assert list(project.tracks.values_list("name", flat=True)) == ["A", "B"]  # nothing changed


def test_an_unused_track_is_deleted_and_a_new_one_added(client_for, project, video, alice, bob, two_tracks):
    _save(client_for(bob), video, ["A"])
    response = _patch(client_for(alice), project, {"tracks": [two_tracks["A"], {"name": "C"}]})
    assert response.status_code == 200, response.json()
    names = [(t["name"], t["id"] == two_tracks["A"]["id"]) for t in response.json()["tracks"]]
    assert names == [("A", True), ("C", False)]


def test_items_without_ids_keep_tracks_by_name(client_for, project, alice, two_tracks):
    body = _patch(client_for(alice), project, {"tracks": [{"name": "B"}, {"name": "A"}]}).json()
    assert [(t["name"], t["id"]) for t in body["tracks"]] == [
        ("B", two_tracks["B"]["id"]),
        ("A", two_tracks["A"]["id"]),
    ]
    assert body["tracks"][0]["color"] == two_tracks["B"]["color"]  # a colour is kept unless sent


def test_a_track_id_from_another_project_is_refused(client_for, project, alice, two_tracks):
    from backend.projects.services import project_create

    other = project_create(name="Other", owner=alice, tracks=[{"name": "X"}])
    stranger = other.tracks.get()
    response = _patch(client_for(alice), project, {"tracks": [{"id": stranger.id, "name": "X2"}]})
    assert response.status_code == 400
    assert f"Track id {stranger.id} is not in this project" in response.json()["message"]
    assert other.tracks.get().name == "X"
