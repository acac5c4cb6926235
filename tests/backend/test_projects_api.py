
import pytest

from backend.common import storage
from backend.projects.models import Membership, Project

pytestmark = pytest.mark.django_db


def test_it_lists_only_my_projects(client_for, project, eve, alice):
    other = Project.objects.create(name="Eve's secret")
    Membership.objects.create(project=other, user=eve, role="owner")
    names = [p["name"] for p in client_for(alice).get("/api/projects/").json()]
    assert names == ["Open field"]


def test_creator_becomes_owner(client_for, eve):
    response = client_for(eve).post("/api/projects/", {"name": "Reaching"}, format="json")
    assert response.status_code == 201
    assert response.json()["my_role"] == "owner"
    assert Membership.objects.get(user=eve).role == "owner"


def test_project_detail_has_counts_and_role(client_for, project, bob, video):
    data = client_for(bob).get(f"/api/projects/{project.id}/").json()
    assert data["my_role"] == "annotator"
    assert data["counts"]["videos"] == 1
    assert data["counts"]["by_status"]["approved"] == 0


@pytest.mark.parametrize(
    "who,status", [("alice", 200), ("bob", 403), ("rita", 403), ("vic", 403), ("eve", 404)]
)
def test_only_owner_can_rename_project(request, client_for, project, who, status):
    response = client_for(request.getfixturevalue(who)).patch(
        f"/api/projects/{project.id}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == status


def test_outsider_gets_404_not_403(client_for, project, eve):
    response = client_for(eve).get(f"/api/projects/{project.id}/")
    assert response.status_code == 404
    assert response.json()["message"]


def test_anonymous_is_refused(client_for, project):
    assert client_for().get("/api/projects/").status_code in (401, 403)


def test_owner_manages_members(client_for, project, alice, eve):
    # Direct add is for people the owner already works with (strangers get an invite link).
    shared = Project.objects.create(name="Pilot study")
    Membership.objects.create(project=shared, user=alice, role="owner")
    Membership.objects.create(project=shared, user=eve, role="annotator")
    client = client_for(alice)
    response = client.post(
        f"/api/projects/{project.id}/members/", {"username": "eve", "role": "viewer"}, format="json"
    )
    assert response.status_code == 201
    member_id = response.json()["id"]
    response = client.patch(
        f"/api/projects/{project.id}/members/{member_id}/", {"role": "annotator"}, format="json"
    )
    assert response.json()["role"] == "annotator"
    assert client.delete(f"/api/projects/{project.id}/members/{member_id}/").status_code == 204


def test_last_owner_cannot_leave(client_for, project, alice):
    member = Membership.objects.get(project=project, user=alice)
    response = client_for(alice).delete(f"/api/projects/{project.id}/members/{member.id}/")
    assert response.status_code == 400
    assert "owner" in response.json()["message"]


def test_annotator_cannot_add_members(client_for, project, bob):
    response = client_for(bob).post(
        f"/api/projects/{project.id}/members/", {"username": "eve", "role": "owner"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.media
def test_deleting_a_project_removes_its_files_and_only_its_files(
    client_for, project, video, alice, synthetic_video_file, django_capture_on_commit_callbacks
):

    from backend.projects.services import project_create
    from backend.videos.services import frame_cache_prefix, video_create_from_path

    client = client_for(alice)
    assert client.get(f"/api/videos/{video.id}/frames/3.jpg").status_code == 200
    other = project_create(owner=alice, name="Other lab")
    kept = video_create_from_path(project=other, path=synthetic_video_file[0])
    files, cache = video.file.name, frame_cache_prefix(video)
    assert storage.exists(files) and storage.list_keys(cache)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/projects/{project.id}/").status_code == 204

    assert not storage.exists(files) and not storage.list_keys(cache)
    assert storage.list_keys(f"projects/{project.id}") == []
    assert storage.exists(kept.file.name)
    assert client.get(f"/api/projects/{other.id}/").status_code == 200
