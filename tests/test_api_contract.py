"""The frontend's API types are the backend's OpenAPI schema, regenerated.

frontend/src/types/schema.gen.ts is generated (``make api-types``) and
committed; these tests fail when a serializer changed and the file did not, so
the TypeScript the app is checked against never drifts from what the API sends.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from backend.labels.models import LabeledFrame
from backend.projects.serializers import FrameStatusCounts
from tests.conftest import REPO, require

SCRIPT = REPO / "scripts" / "gen_api_types.sh"
COMMITTED = REPO / "frontend" / "src" / "types" / "schema.gen.ts"
GENERATOR = REPO / "frontend" / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
REGENERATE = "Run `make api-types` and commit frontend/src/types/schema.gen.ts."


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The types as ``make api-types`` would write them now (into a temp file)."""
    require(GENERATOR.is_file(), "frontend/node_modules is absent (run make setup)")
    out = tmp_path_factory.mktemp("api-types") / "schema.gen.ts"
    run = subprocess.run(
        ["bash", str(SCRIPT), str(out)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, f"{SCRIPT.name} failed:\n{run.stdout}\n{run.stderr}"
    return out.read_text()


def drift(committed: str, generated: str) -> str | None:
    """Why the committed types are stale, or None when they match the schema."""
    if committed == generated:
        return None
    return (
        f"{COMMITTED.relative_to(REPO)} is out of date with the backend's OpenAPI schema. "
        + REGENERATE
    )


def test_committed_api_types_match_the_schema(generated: str) -> None:
    problem = drift(COMMITTED.read_text(), generated)
    assert problem is None, problem


def test_a_stale_file_is_reported_with_the_fix(generated: str) -> None:
    # A field the serializer no longer sends, as a hand edit or a missed regeneration leaves it.
    stale = generated.replace(
        "export interface components {", "export interface components {\n    old: string;", 1
    )
    assert stale != generated
    assert "make api-types" in (drift(stale, generated) or "")


def test_schema_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    call_command("spectacular", file=str(first), validate=True, fail_on_warn=True)
    call_command("spectacular", file=str(second), validate=True, fail_on_warn=True)
    assert first.read_bytes() == second.read_bytes()


def test_frame_status_counts_name_every_frame_status() -> None:
    # The projects app describes counts per status without importing labels (a layer above).
    assert list(FrameStatusCounts.__annotations__) == list(LabeledFrame.Status.values)
