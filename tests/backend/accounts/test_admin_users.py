"""The site-admin API with three people: an admin (staff), a project owner and an outsider.

Only staff get in; owners of projects are not site admins. Creating an account
gives a working login, deactivating one stops the login (and the API token),
and a reset password replaces the old one.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
User = get_user_model()
URL = "/api/admin/users/"


@pytest.fixture
def admin(db):
    return User.objects.create_user(username="ada", password="ada-password-1", is_staff=True)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # logins below count against the login throttle otherwise


def _login(username: str, password: str) -> int:
    client = APIClient()
    response = client.post("/api/auth/login/", {"username": username, "password": password})
    return response.status_code


@pytest.mark.parametrize("who", ["alice", "eve"])
def test_non_staff_are_refused_everywhere(request, client_for, project, who, eve):
    client = client_for(request.getfixturevalue(who))
    calls = [
        client.get(URL),
        client.post(URL, {"username": "sneaky", "password": "a-long-password-1"}),
        client.patch(f"{URL}{eve.id}/", {"is_active": False}, format="json"),
        client.post(f"{URL}{eve.id}/password/", {"password": "taken-over-123"}),
    ]
    assert [c.status_code for c in calls] == [403] * 4
    assert not User.objects.filter(username="sneaky").exists()
    eve.refresh_from_db()
    assert eve.is_active and eve.check_password("eve-password-1")
    assert client_for().get(URL).status_code == 403


def test_admin_lists_users_without_password_hashes(client_for, admin, eve):
    response = client_for(admin).get(URL)
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == ["ada", "eve"]
    assert "password" not in response.json()[0] and "pbkdf2" not in response.content.decode()


def test_admin_creates_a_user_who_can_log_in(client_for, admin):
    body = {"username": "newton", "password": "a-long-password-1", "email": "n@lab.org"}
    response = client_for(admin).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["is_staff"] is False
    assert _login("newton", "a-long-password-1") == 200


@pytest.mark.parametrize(
    "body,needle",
    [({"username": "EVE", "password": "a-long-password-1"}, "taken"),
     ({"username": "shorty", "password": "short"}, "too short"),
     ({"username": "bad name", "password": "a-long-password-1"}, "letters")],
)  # fmt: skip
def test_admin_create_refuses_bad_accounts(client_for, admin, eve, body, needle):
    response = client_for(admin).post(URL, body, format="json")
    assert response.status_code == 400
    assert needle in response.json()["message"]
    assert User.objects.count() == 2


def test_a_deactivated_user_cannot_log_in_or_use_a_token(client_for, admin, eve):
    token = Token.objects.create(user=eve)
    response = client_for(admin).patch(f"{URL}{eve.id}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert _login("eve", "eve-password-1") == 400
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/projects/").status_code in (401, 403)
    # Reactivated: the same password works again.
    client_for(admin).patch(f"{URL}{eve.id}/", {"is_active": True}, format="json")
    assert _login("eve", "eve-password-1") == 200


def test_a_deactivated_users_open_session_ends(client_for, admin, eve):
    browser = APIClient()
    browser.force_login(eve)
    assert browser.get("/api/projects/").status_code == 200
    client_for(admin).patch(f"{URL}{eve.id}/", {"is_active": False}, format="json")
    assert browser.get("/api/projects/").status_code == 403


def test_admin_sets_a_password(client_for, admin, eve):
    url = f"{URL}{eve.id}/password/"
    response = client_for(admin).post(url, {"password": "a-brand-new-pass-2"}, format="json")
    assert response.json() == {"generated_password": None}
    assert _login("eve", "eve-password-1") == 400
    assert _login("eve", "a-brand-new-pass-2") == 200


def test_admin_generates_a_password_shown_once(client_for, admin, eve):
    response = client_for(admin).post(f"{URL}{eve.id}/password/", {}, format="json")
    generated = response.json()["generated_password"]
    assert len(generated) >= 12
    assert _login("eve", generated) == 200
    assert generated not in client_for(admin).get(URL).content.decode()


def test_an_admin_cannot_lock_themselves_out(client_for, admin):
    for body in ({"is_active": False}, {"is_staff": False}):
        response = client_for(admin).patch(f"{URL}{admin.id}/", body, format="json")
        assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.is_active and admin.is_staff


def test_only_a_superuser_changes_a_superuser(client_for, admin):
    root = User.objects.create_superuser(username="root", password="root-password-1")
    response = client_for(admin).post(f"{URL}{root.id}/password/", {"password": "pwned-12345"})
    assert response.status_code == 403
    assert client_for(admin).patch(f"{URL}{root.id}/", {"is_active": False}).status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.check_password("root-password-1")


def test_me_says_who_is_staff(client_for, admin, eve):
    assert client_for(admin).get("/api/auth/me/").json()["user"]["is_staff"] is True
    assert client_for(eve).get("/api/auth/me/").json()["user"]["is_staff"] is False


def test_the_demo_user_is_site_staff(db):
    from backend.demo.services import demo_user

    user = demo_user()
    assert user.is_staff and not user.is_superuser
    user.is_staff = False
    user.save()
    assert demo_user().is_staff  # an older demo database is upgraded on the next start
