"""API tokens (issue 11, finding 6): they expire, signing out revokes them, and
DELETE /api/auth/token/ revokes one on purpose. A rejected token is a 401."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": "alice", "password": "alice-password-1"}


def token_for_alice() -> str:
    response = APIClient().post("/api/auth/token/", CREDENTIALS, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def age(key: str, hours: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(hours=hours))


def test_a_fresh_token_works_and_says_when_it_expires(alice, settings):
    response = APIClient().post("/api/auth/token/", CREDENTIALS, format="json").json()
    expires = datetime.fromisoformat(response["expires"])
    expected = timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    assert abs((expires - expected).total_seconds()) < 60
    assert with_token(response["token"]).get("/api/projects/").status_code == 200


def test_an_expired_token_is_rejected_and_deleted(alice, settings):
    key = token_for_alice()
    age(key, settings.API_TOKEN_TTL_HOURS + 1)
    response = with_token(key).get("/api/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "expired" in response.json()["message"]
    assert not Token.objects.filter(key=key).exists()


def test_a_token_just_inside_its_lifetime_still_works(alice, settings):
    key = token_for_alice()
    age(key, settings.API_TOKEN_TTL_HOURS - 1)
    assert with_token(key).get("/api/projects/").status_code == 200


def test_asking_again_gives_the_same_token_until_it_expires(alice, settings):
    key = token_for_alice()
    assert token_for_alice() == key
    age(key, settings.API_TOKEN_TTL_HOURS + 1)
    fresh = token_for_alice()
    assert fresh != key
    assert with_token(fresh).get("/api/projects/").status_code == 200


def test_logout_with_a_token_revokes_it(alice):
    key = token_for_alice()
    client = with_token(key)
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.get("/api/projects/").status_code == 401
    assert not Token.objects.filter(user=alice).exists()


def test_session_logout_revokes_the_users_token(alice):
    key = token_for_alice()
    browser = APIClient()
    assert browser.login(**CREDENTIALS)
    assert browser.post("/api/auth/logout/").status_code == 204
    assert with_token(key).get("/api/projects/").status_code == 401


def test_delete_on_the_token_endpoint_revokes_it(alice, bob):
    key = token_for_alice()
    bob_key = Token.objects.create(user=bob).key
    assert with_token(key).delete("/api/auth/token/").status_code == 204
    assert with_token(key).get("/api/projects/").status_code == 401
    assert with_token(bob_key).get("/api/projects/").status_code == 200  # only the caller's
    assert APIClient().delete("/api/auth/token/").status_code == 403


def test_a_made_up_token_is_401_and_no_credentials_stays_403(alice):
    assert with_token("0" * 40).get("/api/projects/").status_code == 401
    assert APIClient().get("/api/projects/").status_code == 403
