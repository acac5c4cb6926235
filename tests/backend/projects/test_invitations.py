"""Invite links with three people: alice owns the project, bob is a member, eve is an outsider.

Each test drives the real HTTP API (sessions, CSRF-free test client) and then
checks the database: who became a member, with which role, and that a link
never works twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from backend.projects.invitations import INVALID_LINK
from backend.projects.models import Invitation, Membership

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the invite throttle counts per client across tests otherwise
    yield
    cache.clear()


def _invite(client_for, project, owner, role="annotator") -> str:
    response = client_for(owner).post(
        f"/api/projects/{project.id}/invitations/", {"role": role}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def _sign_up(token: str, username: str | None = "newton", password: str = "a-long-password-1"):
    client = APIClient()
    body = {"username": username, "password": password} if username is not None else {}
    response = client.post(f"/api/invitations/{token}/accept/", body, format="json")
    return client, response


def test_only_the_owner_creates_invites(client_for, project, alice, bob, rita, eve):
    url = f"/api/projects/{project.id}/invitations/"
    assert client_for(bob).post(url, {"role": "viewer"}, format="json").status_code == 403
    assert client_for(rita).post(url, {"role": "viewer"}, format="json").status_code == 403
    assert client_for(eve).post(url, {"role": "viewer"}, format="json").status_code == 404
    assert client_for().post(url, {"role": "viewer"}, format="json").status_code == 403
    assert Invitation.objects.count() == 0
    assert client_for(alice).post(url, {"role": "viewer"}, format="json").status_code == 201


def test_only_the_hash_of_the_token_is_stored(client_for, project, alice):
    token = _invite(client_for, project, alice)
    stored = Invitation.objects.get()
    assert len(token) >= 40
    assert token not in stored.token_hash
    assert stored.expires_at > timezone.now() + timedelta(hours=71)
    listed = client_for(alice).get(f"/api/projects/{project.id}/invitations/").json()
    assert [i["role"] for i in listed] == ["annotator"]
    assert "token" not in listed[0] and "token_hash" not in listed[0]


def test_a_link_shows_project_and_role_to_anyone(client_for, project, alice):
    token = _invite(client_for, project, alice, role="reviewer")
    data = APIClient().get(f"/api/invitations/{token}/").json()
    assert data["project_name"] == "Open field"
    assert data["role"] == "reviewer"
    assert data["invited_by"] == "alice"


def test_logged_out_person_creates_an_account_and_lands_in_the_project(client_for, project, alice):
    token = _invite(client_for, project, alice, role="reviewer")
    client, response = _sign_up(token)
    assert response.status_code == 200, response.content
    assert response.json()["project"] == project.id
    assert response.json()["role"] == "reviewer"
    newton = User.objects.get(username="newton")
    assert newton.check_password("a-long-password-1")
    assert Membership.objects.get(project=project, user=newton).role == "reviewer"
    # Logged in by the same request: the session now opens the project.
    assert client.get("/api/auth/me/").json()["user"]["username"] == "newton"
    assert client.get(f"/api/projects/{project.id}/").json()["my_role"] == "reviewer"


def test_logged_in_person_accepts(client_for, project, alice, eve):
    token = _invite(client_for, project, alice, role="viewer")
    response = client_for(eve).post(f"/api/invitations/{token}/accept/", {}, format="json")
    assert response.status_code == 200, response.content
    assert Membership.objects.get(project=project, user=eve).role == "viewer"
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == eve and invitation.accepted_at is not None


def test_a_link_works_once(client_for, project, alice, eve):
    token = _invite(client_for, project, alice)
    assert client_for(eve).post(f"/api/invitations/{token}/accept/", {}).status_code == 200
    _, second = _sign_up(token)
    assert second.status_code == 404
    assert second.json()["message"] == INVALID_LINK
    assert not User.objects.filter(username="newton").exists()
    assert APIClient().get(f"/api/invitations/{token}/").status_code == 404
    assert project.memberships.count() == 5  # alice bob rita vic + eve, nobody else


def test_an_expired_link_is_refused(client_for, project, alice, eve):
    token = _invite(client_for, project, alice)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(eve).post(f"/api/invitations/{token}/accept/", {})
    assert response.status_code == 404
    assert response.json()["message"] == INVALID_LINK
    assert not Membership.objects.filter(project=project, user=eve).exists()
    assert client_for(alice).get(f"/api/projects/{project.id}/invitations/").json() == []


def test_owner_revokes_a_link(client_for, project, alice, bob, eve):
    token = _invite(client_for, project, alice)
    invitation = Invitation.objects.get()
    url = f"/api/projects/{project.id}/invitations/{invitation.id}/"
    assert client_for(bob).delete(url).status_code == 403
    assert client_for(eve).delete(url).status_code == 404
    assert client_for(alice).delete(url).status_code == 204
    response = client_for(eve).post(f"/api/invitations/{token}/accept/", {})
    assert response.status_code == 404
    assert response.json()["message"] == INVALID_LINK
    assert not Membership.objects.filter(project=project, user=eve).exists()


def test_an_accepted_link_cannot_be_revoked(client_for, project, alice, eve):
    token = _invite(client_for, project, alice)
    client_for(eve).post(f"/api/invitations/{token}/accept/", {})
    invitation = Invitation.objects.get()
    response = client_for(alice).delete(f"/api/projects/{project.id}/invitations/{invitation.id}/")
    assert response.status_code == 400
    assert Membership.objects.filter(project=project, user=eve).exists()


def test_unknown_tokens_get_the_same_answer_as_dead_ones(client_for, project, alice):
    token = _invite(client_for, project, alice)
    guesses = [token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "0" * 43]
    for guess in guesses:
        for response in (
            APIClient().get(f"/api/invitations/{guess}/"),
            _sign_up(guess, username=f"guess{len(guess)}")[1],
        ):
            assert response.status_code == 404
            assert response.json()["message"] == INVALID_LINK
    assert not User.objects.filter(username__startswith="guess").exists()
    # Two links from the same owner share nothing guessable.
    assert _invite(client_for, project, alice)[:8] != token[:8]


def test_a_member_accepting_again_does_not_use_up_the_link(client_for, project, alice, bob):
    token = _invite(client_for, project, alice, role="owner")
    response = client_for(bob).post(f"/api/invitations/{token}/accept/", {})
    assert response.status_code == 409
    assert Membership.objects.get(project=project, user=bob).role == "annotator"
    assert APIClient().get(f"/api/invitations/{token}/").status_code == 200


@pytest.mark.parametrize(
    "username,password,needle",
    [("bob", "a-long-password-1", "taken"), ("BOB", "a-long-password-1", "taken"),
     ("newton", "short", "too short"), ("", "a-long-password-1", "blank"),
     (None, "", "Pick a username")],
)  # fmt: skip
def test_a_bad_new_account_creates_nothing(client_for, project, alice, username, password, needle):
    token = _invite(client_for, project, alice)
    _, response = _sign_up(token, username=username, password=password)
    assert response.status_code == 400
    assert needle in response.json()["message"]
    assert User.objects.count() == 4  # alice bob rita vic
    assert Invitation.objects.get().accepted_at is None  # the link still works afterwards
    assert _sign_up(token, username="newton2")[1].status_code == 200


def test_opening_links_is_throttled(client_for, project, alice, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "invite", "3/min")
    client = APIClient()
    statuses = [client.get(f"/api/invitations/guess-{n}/").status_code for n in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
