"""The sign-in guard (issue 11, finding 4): a client cannot reset the limits by writing
X-Forwarded-For, an account locks after repeated failures from any address, the admin
login is behind the same guard, and the counts are shared by every web process."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"


@pytest.fixture
def limits(settings):
    """Small, explicit limits; each test loosens the one it is not about."""
    settings.LOGIN_RATE = "1000/min"
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_MAX_FAILURES_PER_IP = 1000
    settings.TRUSTED_PROXY_COUNT = 0
    return settings


def attempt(username: str, password: str, **meta: str) -> int:
    return APIClient().post(LOGIN, {"username": username, "password": password}, **meta).status_code


def test_spoofed_forwarded_for_does_not_reset_the_rate_limit(alice):
    """Default settings (LOGIN_RATE 20/min, no trusted proxy); a new XFF and username each time."""
    statuses = [
        attempt(f"guess-{i}", "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        for i in range(30)
    ]
    assert 429 in statuses, statuses
    assert statuses.index(429) == 20 and set(statuses[20:]) == {429}


def test_spoofed_forwarded_for_does_not_reset_failure_lockout_of_an_address(limits, alice):
    limits.LOGIN_MAX_FAILURES_PER_IP = 5
    statuses = [
        attempt(f"guess-{i}", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        for i in range(8)
    ]
    assert statuses == [400] * 5 + [429] * 3
    # The address is locked for everyone at it, right password or not.
    assert attempt("alice", "alice-password-1", HTTP_X_FORWARDED_FOR="192.0.2.1") == 429
    assert attempt("alice", "alice-password-1", REMOTE_ADDR="10.9.9.9") == 200


def test_behind_one_proxy_the_client_is_the_rightmost_forwarded_address(limits, alice):
    limits.TRUSTED_PROXY_COUNT = 1
    limits.LOGIN_MAX_FAILURES_PER_IP = 3
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    statuses = [
        attempt(f"guess-{i}", "x", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.7", **proxy)
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
    # Another client behind the same proxy is not affected.
    other = attempt("alice", "alice-password-1", HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy)
    assert other == 200


def test_account_locks_after_failures_from_many_addresses(limits, alice):
    statuses = [attempt("alice", f"guess-{i}", REMOTE_ADDR=f"10.0.{i}.1") for i in range(3)]
    assert statuses == [400, 400, 400]
    locked = APIClient().post(
        LOGIN, {"username": "alice", "password": "alice-password-1"}, REMOTE_ADDR="10.1.1.1"
    )
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["message"]
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    # Username spelling does not open a second budget.
    assert attempt(" ALICE", "alice-password-1", REMOTE_ADDR="10.1.1.2") in (400, 429)
    # The token door is the same door.
    token = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": "alice-password-1"}
    )
    assert token.status_code == 429


def test_lockout_looks_the_same_for_accounts_that_do_not_exist(limits, alice):
    def lock(username: str):
        for i in range(3):
            attempt(username, f"guess-{i}", REMOTE_ADDR=f"10.2.{i}.1")
        return APIClient().post(
            LOGIN, {"username": username, "password": "x"}, REMOTE_ADDR="10.3.0.1"
        )

    real, ghost = lock("alice"), lock("no-such-user")
    assert real.status_code == ghost.status_code == 429
    assert real.json() == ghost.json()


def test_success_resets_the_account_count(limits, alice):
    for round_ in range(3):
        assert attempt("alice", "guess-a", REMOTE_ADDR=f"10.4.{round_}.1") == 400
        assert attempt("alice", "guess-b", REMOTE_ADDR=f"10.4.{round_}.2") == 400
        assert attempt("alice", "alice-password-1", REMOTE_ADDR=f"10.4.{round_}.3") == 200


@pytest.fixture
def staff(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(username="root", password="root-password-1")


def admin_post(username: str, password: str, **meta: str):
    from django.test import Client

    form = {"username": username, "password": password, "next": "/admin/"}
    return Client().post("/admin/login/", form, **meta)


def test_admin_login_is_rate_limited(limits, staff):
    limits.LOGIN_RATE = "3/min"
    statuses = [admin_post(f"guess-{i}", "x").status_code for i in range(3)]
    assert statuses == [200, 200, 200]  # the admin form shows its error page
    refused = admin_post("root", "root-password-1")
    assert refused.status_code == 429 and "Retry-After" in refused
    # One budget per address for every door.
    assert attempt("root", "root-password-1") == 429


def test_admin_login_failures_lock_the_account_everywhere(limits, staff):
    for i in range(3):
        assert admin_post("root", f"guess-{i}", REMOTE_ADDR=f"10.5.{i}.1").status_code == 200
    refused = admin_post("root", "root-password-1", REMOTE_ADDR="10.6.0.1")
    assert refused.status_code == 429
    assert b"Too many failed sign-in attempts" in refused.content
    assert attempt("root", "root-password-1", REMOTE_ADDR="10.6.0.2") == 429


def test_admin_login_still_signs_staff_in(limits, staff):
    response = admin_post("root", "root-password-1")
    assert response.status_code == 302 and response["Location"] == "/admin/"
