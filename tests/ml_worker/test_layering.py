"""ml_worker depends on nothing web-side: every module imports without Django, backend or Celery.

Dependencies point one way (web -> worker code): the Celery tasks in
backend/training and backend/inference call ml_worker's pure functions, never
the other way round. A fresh interpreter proves it, since this test process
has Django loaded already.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import ml_worker
from tests.conftest import REPO

FORBIDDEN = ("django", "backend", "celery", "kombu", "rest_framework")


def _modules() -> list[str]:
    return sorted(f"ml_worker.{m.name}" for m in pkgutil.iter_modules(ml_worker.__path__))


def test_every_ml_worker_module_imports_without_django_backend_or_celery():
    modules = _modules()
    assert "ml_worker.train" in modules and "ml_worker.inference_run" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(json.dumps(bad))\n"
    )
    # No DJANGO_SETTINGS_MODULE: a module that needed Django would fail to import, too.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    pulled_in = json.loads(result.stdout.strip().splitlines()[-1])
    assert pulled_in == [], f"ml_worker pulled in {pulled_in}"


def test_the_check_catches_a_module_that_imports_django(tmp_path):
    """The subprocess check is not vacuous: the same probe sees a Django import."""
    (tmp_path / "leaky.py").write_text("import django.db  # noqa\n")
    code = (
        "import json, sys; import leaky\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "django" in json.loads(result.stdout)
