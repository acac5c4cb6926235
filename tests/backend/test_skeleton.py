import pytest

from backend.labels.services import labels_save
from backend.projects.services import skeleton_to_dict

pytestmark = pytest.mark.django_db


def _label_all(video, user, project):
    points = [
        {"node": n["id"], "x": 10.5, "y": 20.25, "visibility": 2}
        for n in skeleton_to_dict(project)["nodes"]
    ]
    labels_save(video=video, frame_index=3, user=user, version=0, instances=[{"points": points}])


def test_renaming_and_reordering_keeps_labels(client_for, project, video, alice):
    _label_all(video, alice, project)
    skeleton = client_for(alice).get(f"/api/projects/{project.id}/skeleton/").json()
    snout, left, right = skeleton["nodes"]
    skeleton["nodes"] = [right, {**snout, "name": "nose"}, left]
    response = client_for(alice).put(
        f"/api/projects/{project.id}/skeleton/", skeleton, format="json"
    )
    assert response.status_code == 200
    assert [n["name"] for n in response.json()["nodes"]] == ["right_ear", "nose", "left_ear"]
    frame = client_for(alice).get(f"/api/videos/{video.id}/frames/3/labels/").json()
    assert {p["node"] for p in frame["instances"][0]["points"]} == {
        snout["id"],
        left["id"],
        right["id"],
    }


def test_adding_a_node_by_name_in_edges(client_for, project, alice):
    skeleton = client_for(alice).get(f"/api/projects/{project.id}/skeleton/").json()
    skeleton["nodes"].append({"name": "tail"})
    skeleton["edges"].append([skeleton["nodes"][0]["id"], "tail"])
    response = client_for(alice).put(
        f"/api/projects/{project.id}/skeleton/", skeleton, format="json"
    )
    assert response.status_code == 200
    assert len(response.json()["edges"]) == 3


def test_deleting_labeled_node_needs_confirmation(client_for, project, video, alice):
    _label_all(video, alice, project)
    skeleton = client_for(alice).get(f"/api/projects/{project.id}/skeleton/").json()
    removed = skeleton["nodes"].pop()
    skeleton["edges"] = [e for e in skeleton["edges"] if removed["id"] not in e]
    skeleton["symmetries"] = []
    url = f"/api/projects/{project.id}/skeleton/"
    response = client_for(alice).put(url, skeleton, format="json")
    assert response.status_code == 409
    assert response.json()["extra"]["labels_removed"] == 1
    response = client_for(alice).put(url + "?confirm=true", skeleton, format="json")
    assert response.status_code == 200
    frame = client_for(alice).get(f"/api/videos/{video.id}/frames/3/labels/").json()
    assert len(frame["instances"][0]["points"]) == 2


@pytest.mark.parametrize(
    "skeleton,message",
    [
        ({"nodes": [{"name": "a"}, {"name": "a"}]}, "unique"),
        ({"nodes": [{"name": "a"}], "edges": [["a", "zzz"]]}, "unknown node"),
        ({"nodes": [{"name": "a"}], "edges": [["a", "a"]]}, "itself"),
        ({"nodes": [{"name": "a", "id": 999999}]}, "not in this project"),
    ],
)
def test_bad_skeletons_get_clear_messages(client_for, project, alice, skeleton, message):
    response = client_for(alice).put(
        f"/api/projects/{project.id}/skeleton/", skeleton, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_annotator_cannot_edit_skeleton(client_for, project, bob):
    response = client_for(bob).put(
        f"/api/projects/{project.id}/skeleton/", {"nodes": []}, format="json"
    )
    assert response.status_code == 403
