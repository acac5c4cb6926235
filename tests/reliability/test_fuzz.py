"""Schemathesis fuzzing of every operation in /api/schema/ as a project owner (issue 7.2).

Checks: no 5xx, responses match the documented schema and content type. Each
request runs in a rolled-back savepoint (same thread, same connection as the
WSGI app), so a fuzzed DELETE never starves later operations; file-deleting
operations run last. Path parameters are half the time the ids of real objects
of the owner's project (to reach deep code), half the time generated.

Short run in the normal suite (RELIABILITY_FUZZ_EXAMPLES, default 4 per
operation and mode); the ``reliability`` variant runs 60 per operation and mode.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from django.db import transaction

from tests.reliability.conftest import record

pytestmark = pytest.mark.django_db


def _known_ids(lab) -> dict[str, list]:
    ids = lab.ids
    return {
        "project_id": [ids["p"]], "video_id": [ids["v"]], "index": [0, 10, 7],
        "member_id": [ids["m"]], "job_id": [ids["pj"], ids["j"], ids["qj"], ids["ej"]],
        "version_id": [ids["mv"]], "run_id": [ids["r"], ids["qr"]], "suggestion_id": [ids["s"]],
        "frame_index": [3, 20], "fmt": ["dlc-csv", "dlc-h5", "slp", "video"],
    }  # fmt: skip


def _order(operation) -> int:
    if operation.method.upper() == "DELETE":
        return (
            2 if "{video_id}" in operation.path or operation.path.endswith("{project_id}/") else 1
        )
    return 0


@pytest.fixture
def wsgi_shares_connection():
    """Like Django's test client: a request must not close the test's DB connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def run_fuzz(world, alice, examples: int, negative: bool = True) -> dict:
    import schemathesis
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from rest_framework.authtoken.models import Token
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    lab, _ = world
    token = Token.objects.create(user=alice)
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), headers=headers)
    known = _known_ids(lab)
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=_order)
    counts: Counter = Counter()
    failures: list[str] = []

    from schemathesis import GenerationMode

    plan = [(op, GenerationMode.POSITIVE) for op in operations]
    plan += [(op, GenerationMode.NEGATIVE) for op in operations] if negative else []
    for operation, mode in plan:
        names = [p.name for p in operation.path_parameters]
        fixed = st.fixed_dictionaries({n: st.sampled_from(known[n]) for n in names if n in known})
        strategies = [
            fixed.flatmap(lambda path, op=operation, m=mode: op.as_strategy(
                generation_mode=m, path_parameters=path or None)),
            operation.as_strategy(generation_mode=mode),
        ]  # fmt: skip
        strategy = st.one_of(strategies)
        checks = [not_a_server_error]
        if mode == GenerationMode.POSITIVE:
            checks += [response_schema_conformance, content_type_conformance]

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=strategy)
        def exercise(case):
            cache.clear()  # the login throttle would answer 429 to everything after 20 tries
            counts["requests"] += 1
            with transaction.atomic():
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # noqa: BLE001 - an exception in the app is a 5xx
                    counts["5xx"] += 1
                    failures.append(f"{case.method} {case.formatted_path}: raised {exc!r}")
                    transaction.set_rollback(True)
                    return
                transaction.set_rollback(True)
            if response.status_code >= 500:
                counts["5xx"] += 1
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} "
                                f"{response.text[:300]}")  # fmt: skip
                return
            try:
                case.validate_response(response, checks=checks)  # noqa: B023 - called at once
            except BaseException as exc:  # noqa: BLE001 - a FailureGroup is a BaseExceptionGroup
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                counts["violations"] += 1
                lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
                where = [ln for ln in lines if ln.startswith(("Schema at", "Received", "- ST"))]
                failures.append(f"{case.method} {case.operation.path} -> {response.status_code}: "
                                + " | ".join(where[:3] or lines[:3]))  # fmt: skip

        try:
            exercise()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            assert mode == GenerationMode.NEGATIVE
    return {"operations": len(operations), "requests": counts["requests"],
            "5xx": counts["5xx"], "violations": counts["violations"], "failures": failures}  # fmt: skip


def _check(result: dict) -> None:
    record(fuzz_operations=result["operations"], fuzz_requests=result["requests"],
           fuzz_5xx=result["5xx"], fuzz_schema_violations=result["violations"])  # fmt: skip
    unique = sorted(set(result["failures"]))
    assert not unique, f"{len(unique)} distinct failures:\n" + "\n".join(unique[:40])


def test_fuzz_short(world, alice, wsgi_shares_connection):
    _check(run_fuzz(world, alice, int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "4"))))


@pytest.mark.reliability
def test_fuzz_long(world, alice, wsgi_shares_connection):
    _check(run_fuzz(world, alice, int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "60"))))


def test_ids_past_64_bits_are_404_not_500(world, client_for, alice):
    """Found by the long fuzz run: a 30-digit id crashed SQLite's integer conversion."""
    lab, _ = world
    client = client_for(alice)
    huge = 10**30
    for method, url in [("get", f"/api/projects/{huge}/"), ("put", f"/api/projects/{huge}/skeleton/"),
                        ("get", f"/api/videos/{huge}/frames/{huge}.jpg"),
                        ("get", f"/api/videos/{lab.video.id}/frames/{huge}/labels/"),
                        ("put", f"/api/projects/{huge}/active-learning-settings/"),
                        ("get", f"/api/model-versions/{huge}/download/")]:  # fmt: skip
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 404, (url, response.status_code)
    saved = client.put(f"/api/videos/{lab.video.id}/frames/0/labels/",
                       {"version": huge, "instances": []}, format="json")  # fmt: skip
    assert saved.status_code in (400, 409), saved.content
