"""Web hardening (issue 7.6): deploy checks, CSRF everywhere, headers everywhere,
login throttling, and torch.load only with weights_only=True."""

from __future__ import annotations

import ast
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.conftest import REPO
from tests.reliability.conftest import record
from tests.reliability.test_authz_matrix import TABLE

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def production_env(var_dir: Path) -> dict[str, str]:
    # Test-only variables (the e2e conftest sets DJANGO_ALLOW_ASYNC_UNSAFE) stay out.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DJANGO_ALLOW_ASYNC")) and k not in ("DATABASE_URL",)
    }
    env.update(
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="poseforge.example.org",
        SECURE_COOKIES="1", SECURE_SSL_REDIRECT="1", SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="1",
        POSEFORGE_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="backend.config.settings",
    )  # fmt: skip
    return env


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_default_settings_stay_plain_http_for_the_embedded_mode(settings):
    assert not settings.SECURE_SSL_REDIRECT and settings.SECURE_HSTS_SECONDS == 0
    assert not settings.SESSION_COOKIE_SECURE


@pytest.mark.django_db
def test_csrf_is_enforced_on_every_unsafe_method(world, alice):
    """Session-authenticated requests without the X-CSRFToken header: 403 everywhere."""
    lab, _ = world
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    checked, missing = 0, []
    for (_route, method), row in TABLE.items():
        if method not in UNSAFE:
            continue
        response = getattr(client, method.lower())(row.url.format(**lab.ids), {}, format="json")
        checked += 1
        if response.status_code != 403 or "CSRF" not in response.content.decode():
            missing.append(f"{method} {row.url}: {response.status_code} {response.content[:120]!r}")
    anonymous = APIClient(enforce_csrf_checks=True)
    login = anonymous.post("/api/auth/login/", {"username": "alice",
                                                 "password": "alice-password-1"}, format="json")  # fmt: skip
    checked += 1
    if login.status_code != 403:
        missing.append(f"anonymous login without a CSRF token: {login.status_code}")
    record(csrf_unsafe_endpoints=checked, csrf_unprotected=len(missing))
    assert not missing, "\n".join(missing)
    # Positive control: the same session with the token from the cookie gets through.
    client.get("/api/auth/me/")
    token = client.cookies["csrftoken"].value
    ok = client.patch(f"/api/projects/{lab.project.id}/", {"description": "x"}, format="json",
                      HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert ok.status_code == 200, ok.content


@pytest.mark.django_db
def test_csp_and_nosniff_on_every_kind_of_response(world, alice, settings):
    from django.test import Client

    lab, other = world
    client = Client()
    client.force_login(alice)
    urls = [
        "/api/auth/me/", f"/api/projects/{lab.project.id}/", f"/api/projects/{other.project.id}/",
        "/api/projects/999999/", f"/api/videos/{lab.video.id}/frames/3.jpg",
        f"/api/videos/{lab.video.id}/thumbnail.jpg", f"/api/model-versions/{lab.version.id}/download/",
        f"/api/import-export-jobs/{lab.export_job.id}/download", "/api/schema/", "/api/docs/",
        "/", "/login", f"/projects/{lab.project.id}", "/media/anything.jpg",
        "/static/admin/css/base.css", "/static/does-not-exist.js", "/admin/login/",
    ]  # fmt: skip
    index = settings.FRONTEND_DIST / "index.html"
    if index.exists():
        assets = sorted((settings.FRONTEND_DIST / "assets").glob("*.js"))
        urls += [f"/static/assets/{a.name}" for a in assets[:2]]
    bad = []
    for url in urls:
        response = client.get(url)
        csp = response.get("Content-Security-Policy", "")
        if "script-src 'self'" not in csp or "unsafe-eval" in csp:
            bad.append(f"{url} ({response.status_code}): CSP {csp!r}")
        if response.get("X-Content-Type-Options") != "nosniff":
            bad.append(f"{url} ({response.status_code}): no nosniff")
    record(header_urls_checked=len(urls), header_missing=len(bad))
    assert not bad, "\n".join(bad)


@pytest.mark.django_db
def test_login_is_rate_limited(alice):
    cache.clear()
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/login/", {"username": "alice", "password": f"guess-{i}"}, format="json"
        ).status_code  # fmt: skip
        for i in range(30)
    ]
    token = client.post("/api/auth/token/", {"username": "alice", "password": "alice-password-1"},
                        format="json")  # fmt: skip
    cache.clear()
    record(login_attempts_before_429=statuses.index(429) if 429 in statuses else None)
    assert 429 in statuses, statuses
    assert set(statuses[: statuses.index(429)]) == {400}
    assert token.status_code == 429  # the token door shares the "login" budget


def _python_files():
    skip = {".venv", "node_modules", ".git", "var", "frontend", "__pycache__"}
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            if name.endswith(".py"):
                yield Path(folder) / name


def test_torch_load_only_with_weights_only_true():
    """Every torch.load( in the repo passes weights_only=True; no np.load(allow_pickle=True)."""
    calls, bad = 0, []
    for path in _python_files():
        try:
            tree = ast.parse(path.read_text(), str(path))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value
            name = f"{getattr(owner, 'id', '?')}.{node.func.attr}"
            kwargs = {k.arg: k.value for k in node.keywords}
            where = f"{path.relative_to(REPO)}:{node.lineno}"
            if name == "torch.load":
                calls += 1
                value = kwargs.get("weights_only")
                if not (isinstance(value, ast.Constant) and value.value is True):
                    bad.append(f"{where}: torch.load without weights_only=True")
            if name in ("np.load", "numpy.load"):
                value = kwargs.get("allow_pickle")
                if isinstance(value, ast.Constant) and value.value is True:
                    bad.append(f"{where}: np.load(allow_pickle=True)")
            if name in ("pickle.load", "pickle.loads") and "tests" not in path.parts:
                bad.append(f"{where}: {name}")
    record(torch_load_calls=calls, unsafe_loads=len(bad))
    assert calls > 0
    assert not bad, "\n".join(bad)
