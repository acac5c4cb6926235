"""Multi-animal project settings: how many animals a frame holds, the track list,
and what the labels API accepts because of them (issue #14)."""

import pytest

from tests.conftest import node_ids

pytestmark = pytest.mark.django_db


def _patch(client, project, body):
    return client.patch(f"/api/projects/{project.id}/", body, format="json")


def _save(client, video, instances, frame=3, version=0):
    return client.put(
        f"/api/videos/{video.id}/frames/{frame}/labels/",
        {"version": version, "instances": instances},
        format="json",
    )


def _instance(project, track=None, x=10.0):
    points = [{"node": n, "x": x, "y": 20.0, "visibility": 2} for n in node_ids(project)]
    return {"track": track, "points": points}


def test_a_new_project_is_single_animal_without_tracks(client_for, project, alice):
    body = client_for(alice).get(f"/api/projects/{project.id}/").json()
    assert (body["max_instances"], body["tracks"]) == (1, [])


def test_the_owner_sets_the_animal_count_and_an_ordered_track_list(client_for, project, alice):
    response = _patch(
        client_for(alice),
        project,
        {"max_instances": 2, "tracks": [{"name": "mouse A"}, {"name": "mouse B", "color": "#00ff00"}]},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["max_instances"] == 2
    assert [t["name"] for t in body["tracks"]] == ["mouse A", "mouse B"]
    assert body["tracks"][1]["color"] == "#00ff00"
    assert body["tracks"][0]["color"] != body["tracks"][1]["color"]  # a default colour each

    reordered = _patch(client_for(alice), project, {"tracks": [{"name": "mouse B"}, {"name": "c"}]})
    assert [t["name"] for t in reordered.json()["tracks"]] == ["mouse B", "c"]
    unknown = _patch(client_for(alice), project, {"max_instances": None}).json()
    assert unknown["max_instances"] is None  # "unknown": no cap


@pytest.mark.parametrize("who", ["bob", "rita", "vic"])
def test_only_the_owner_edits_tracks(client_for, project, request, who):
    response = _patch(client_for(request.getfixturevalue(who)), project, {"tracks": [{"name": "x"}]})
    assert response.status_code == 403
    assert not project.tracks.exists()


def test_duplicate_track_names_are_refused(client_for, project, alice):
    response = _patch(client_for(alice), project, {"tracks": [{"name": "a"}, {"name": "a"}]})
    assert response.status_code == 400
    assert "unique" in response.json()["message"]


def test_a_single_animal_project_refuses_a_second_instance(client_for, project, video, bob):
    response = _save(client_for(bob), video, [_instance(project), _instance(project, x=30)])
    assert response.status_code == 400
    assert "one animal per frame" in response.json()["message"]


def test_two_animals_with_tracks_from_the_list_are_saved(client_for, project, video, alice, bob):
    _patch(client_for(alice), project, {"max_instances": 2, "tracks": [{"name": "A"}, {"name": "B"}]})
    instances = [_instance(project, "A"), _instance(project, "B", x=30)]
    response = _save(client_for(bob), video, instances)
    assert response.status_code == 200, response.json()
    assert [i["track"] for i in response.json()["instances"]] == ["A", "B"]

    too_many = _save(client_for(bob), video, [*instances, _instance(project)], version=1)
    assert too_many.status_code == 400
    assert "2 animals per frame" in too_many.json()["message"]


def test_a_track_not_in_the_list_is_refused(client_for, project, video, alice, bob):
    _patch(client_for(alice), project, {"max_instances": None, "tracks": [{"name": "A"}]})
    response = _save(client_for(bob), video, [_instance(project, "Z")])
    assert response.status_code == 400
    assert "Unknown track 'Z'" in response.json()["message"]
    untracked = _save(client_for(bob), video, [_instance(project, None), _instance(project, "A")])
    assert untracked.status_code == 200  # no track yet is fine: names are given while proofreading
