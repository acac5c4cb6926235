"""The sign-in guard: one door that every password check goes through.

The API login, the API token endpoint and the Django admin login all call
``login_authenticate``. It does, in order:

1. the rate limit: every attempt counts against ``LOGIN_RATE`` per client address;
2. lockouts: an address or a username with too many recent failures is refused with
   a 429 until its lock expires, even with the right password;
3. the password check itself; a failure counts once for the address and once for the
   username (whether or not that user exists, so a lock says nothing about which
   accounts exist); a success clears the username's failures.

Counts live in Django's default cache, which settings make shared by every process
(Redis, or a database table), so N web workers do not allow N times the attempts.
The client address is ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` says how many
proxies in front of us append to ``X-Forwarded-For``; a client-written header is
never trusted.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle


class LoginLocked(Throttled):
    default_detail = "Too many failed sign-in attempts. Wait, then try again."


def client_ip(request: HttpRequest) -> str:
    """The client's address: the Nth X-Forwarded-For entry from the right behind N proxies."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote_addr
    addresses = [a.strip() for a in forwarded.split(",")]
    # Fewer entries than proxies means a proxy did not append: the leftmost is the best we have.
    return addresses[-min(proxies, len(addresses))] or remote_addr


class LoginRateThrottle(SimpleRateThrottle):
    """All sign-in attempts per client address, admin login included."""

    scope = "login"

    def get_rate(self) -> str:
        return settings.LOGIN_RATE  # read per request, so tests and reloads see changes

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": _digest(client_ip(request))}


def _digest(text: str) -> str:
    """Key-safe, fixed length: usernames and forwarded addresses are whatever clients send."""
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _account(username: str) -> str:
    return _digest(username.strip().casefold())  # "Alice" and "alice " share one count


def _subjects(request: HttpRequest, username: str) -> list[tuple[str, str, int]]:
    """(kind, identity, failure limit) for the client address and for the username."""
    return [
        ("ip", _digest(client_ip(request)), settings.LOGIN_MAX_FAILURES_PER_IP),
        ("account", _account(username), settings.LOGIN_MAX_FAILURES_PER_ACCOUNT),
    ]


def _failures_key(kind: str, ident: str) -> str:
    return f"login-failures:{kind}:{ident}"


def _lock_key(kind: str, ident: str) -> str:
    return f"login-lock:{kind}:{ident}"


def _check_rate(request: HttpRequest) -> None:
    throttle = LoginRateThrottle()
    if not throttle.allow_request(request, None):
        raise Throttled(wait=throttle.wait())


def _check_locks(request: HttpRequest, username: str) -> None:
    for kind, ident, _limit in _subjects(request, username):
        until = cache.get(_lock_key(kind, ident))
        if until is not None:
            raise LoginLocked(wait=max(1.0, until - time.time()))


def _count_failure(kind: str, ident: str, limit: int) -> None:
    key = _failures_key(kind, ident)
    cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_MINUTES * 60)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_MINUTES * 60)
        failures = 1
    if failures >= limit:
        lockout = settings.LOGIN_LOCKOUT_MINUTES * 60
        cache.set(_lock_key(kind, ident), time.time() + lockout, timeout=lockout)
        cache.delete(key)


def login_failure_record(request: HttpRequest, *, username: str) -> None:
    for kind, ident, limit in _subjects(request, username):
        _count_failure(kind, ident, limit)


def login_success_record(*, username: str) -> None:
    # The address keeps its count: one good password must not launder a guessing run.
    cache.delete(_failures_key("account", _account(username)))


def login_authenticate(
    request: HttpRequest, *, username: str, password: str
) -> AbstractBaseUser | None:
    """The user these credentials name, or None; raises Throttled (429) when refused."""
    _check_rate(request)
    _check_locks(request, username)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(request, username=username)
    else:
        login_success_record(username=username)
    return user
