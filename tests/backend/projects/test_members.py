"""Direct add without an invite: only people the owner already shares a project with.

alice owns ``project`` (bob annotator, rita reviewer, vic viewer); eve shares
nothing with alice. Any username outside alice's circle, existing or not, gets
the very same answer, so the endpoint cannot be used to list accounts.
"""

from __future__ import annotations

import pytest

from backend.projects.models import Membership, Project
from backend.projects.services import NOT_A_CANDIDATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(alice, django_user_model):
    """Another of alice's projects, with carol, who is not in ``project`` yet."""
    carol = django_user_model.objects.create_user(username="carol", password="carol-password-1")
    pilot = Project.objects.create(name="Pilot")
    Membership.objects.create(project=pilot, user=alice, role="owner")
    Membership.objects.create(project=pilot, user=carol, role="viewer")
    return pilot


def _add(client, project, username: str, role: str = "annotator"):
    return client.post(
        f"/api/projects/{project.id}/members/", {"username": username, "role": role}, format="json"
    )


def test_unknown_and_unrelated_users_get_the_same_answer(client_for, project, alice, eve):
    client = client_for(alice)
    unknown = _add(client, project, "nobody-at-all")
    unrelated = _add(client, project, "eve")
    assert unknown.status_code == unrelated.status_code == 400
    assert unknown.json() == unrelated.json() == {"message": NOT_A_CANDIDATE, "extra": {}}
    assert "eve" not in unrelated.content.decode()
    assert not Membership.objects.filter(project=project, user=eve).exists()
    assert not Project.objects.filter(memberships__user=eve).exists()


def test_owner_adds_someone_they_already_work_with(client_for, project, pilot, alice):
    response = _add(client_for(alice), project, "carol", role="reviewer")
    assert response.status_code == 201, response.content
    assert Membership.objects.get(project=project, user__username="carol").role == "reviewer"


def test_direct_add_never_makes_an_owner(client_for, project, pilot, alice):
    response = _add(client_for(alice), project, "carol", role="owner")
    assert response.status_code == 400
    assert "owner" in response.json()["message"]
    assert not Membership.objects.filter(project=project, user__username="carol").exists()
    # Once carol has joined, an owner may promote her (role change stays as it was).
    member = Membership.objects.get(id=_add(client_for(alice), project, "carol").json()["id"])
    url = f"/api/projects/{project.id}/members/{member.id}/"
    assert client_for(alice).patch(url, {"role": "owner"}, format="json").json()["role"] == "owner"


def test_candidates_are_co_workers_not_yet_in_the_project(
    client_for, project, pilot, alice, bob, eve, django_user_model
):
    Membership.objects.create(project=pilot, user=bob, role="viewer")  # already in project
    gone = django_user_model.objects.create_user(username="gone", is_active=False)
    Membership.objects.create(project=pilot, user=gone, role="viewer")
    response = client_for(alice).get(f"/api/projects/{project.id}/member-candidates/")
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == ["carol"]
    assert set(response.json()[0]) == {"id", "username"}


@pytest.mark.parametrize("who,status", [("bob", 403), ("rita", 403), ("vic", 403), ("eve", 404)])
def test_only_owners_see_candidates(request, client_for, project, pilot, who, status):
    user = request.getfixturevalue(who)
    response = client_for(user).get(f"/api/projects/{project.id}/member-candidates/")
    assert response.status_code == status
    assert "carol" not in response.content.decode()


def test_a_member_cannot_use_direct_add_to_reach_the_owners_circle(client_for, project, pilot, bob):
    # bob shares ``project`` with alice but not ``pilot``: carol is not bob's to add anywhere.
    mine = Project.objects.create(name="Bob's own")
    Membership.objects.create(project=mine, user=bob, role="owner")
    response = _add(client_for(bob), mine, "carol")
    assert response.json()["message"] == NOT_A_CANDIDATE
    assert [u["username"] for u in client_for(bob).get(
        f"/api/projects/{mine.id}/member-candidates/").json()] == ["alice", "rita", "vic"]  # fmt: skip
