"""Authorization matrix generated from ONE table (issue 7.1).

Every API route (enumerated from the URL resolver under /api/) x method must
have a row in ``TABLE``; a new endpoint without a row fails
``test_every_endpoint_is_in_the_table``. Each row says the least role that may
use it and the status that role gets; every cell (6 roles x own project /
another lab's project) is then derived and checked:

- anonymous: 403 (DRF answers 403 for a missing session) unless the row is public;
- outsider, and every role on another lab's ids: 404 (never 403: ids do not leak);
- members below the row's role: 403; at or above it: the row's status.

Each request runs inside a savepoint that is rolled back, so cells are
independent. No response seen by a member of lab A may contain lab B's marker
string (names, tracks, skeleton), and objects in JSON must belong to lab A.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver

from tests.reliability.conftest import record
from tests.reliability.world import OTHER_MARK

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "viewer", "annotator", "reviewer", "owner"]
RANK = {"viewer": 1, "annotator": 2, "reviewer": 3, "owner": 4}
PUBLIC, USER = "public", "user"  # anyone at all / any signed-in user (no project involved)
STAFF = "staff"  # site admins only; no one in the world is staff, so every signed-in role gets 403


@dataclass
class Row:
    minimum: str  # PUBLIC, USER or a project role
    ok: int | tuple[int, ...]  # status a sufficient role gets
    url: str  # with {p} {v} {i} {si} {m} {pj} {j} {qj} {mv} {r} {qr} {s} {ej} {ij} {inv} {qpt} {lf}
    body: Any = None
    fmt: str = "json"
    scoped: bool = True  # has a variant on another lab's ids
    order: int = 0  # destructive rows run last
    notes: str = field(default="")


def _labels(lab_ids):
    return {"version": 1, "instances": []}


TABLE: dict[tuple[str, str], Row] = {
    ("auth/me/", "GET"): Row(PUBLIC, 200, "/api/auth/me/", scoped=False),
    ("auth/login/", "POST"): Row(PUBLIC, 400, "/api/auth/login/",
                                 {"username": "nobody", "password": "wrong-password"}, scoped=False),
    ("auth/logout/", "POST"): Row(USER, 204, "/api/auth/logout/", scoped=False),
    ("auth/token/", "POST"): Row(PUBLIC, 400, "/api/auth/token/",
                                 {"username": "nobody", "password": "wrong-password"}, scoped=False),
    ("auth/token/", "DELETE"): Row(USER, 204, "/api/auth/token/", scoped=False),
    ("schema/", "GET"): Row(PUBLIC, 200, "/api/schema/", scoped=False),
    ("docs/", "GET"): Row(PUBLIC, 200, "/api/docs/", scoped=False),
    ("projects/", "GET"): Row(USER, 200, "/api/projects/", scoped=False),
    ("projects/", "POST"): Row(USER, 201, "/api/projects/", {"name": "New lab"}, scoped=False),
    ("projects/<int:project_id>/", "GET"): Row("viewer", 200, "/api/projects/{p}/"),
    ("projects/<int:project_id>/", "PATCH"): Row("owner", 200, "/api/projects/{p}/",
                                                 {"description": "changed"}),
    ("projects/<int:project_id>/", "DELETE"): Row("owner", 204, "/api/projects/{p}/", order=2),
    ("projects/<int:project_id>/members/", "GET"): Row("viewer", 200, "/api/projects/{p}/members/"),
    ("projects/<int:project_id>/members/", "POST"): Row(
        "owner", 400, "/api/projects/{p}/members/", {"username": "eve", "role": "viewer"},
        notes="eve shares no project with the owner: the neutral 400 proves the gate let it through"),
    ("projects/<int:project_id>/member-candidates/", "GET"): Row(
        "owner", 200, "/api/projects/{p}/member-candidates/"),
    ("projects/<int:project_id>/invitations/", "GET"): Row(
        "owner", 200, "/api/projects/{p}/invitations/"),
    ("projects/<int:project_id>/invitations/", "POST"): Row(
        "owner", 201, "/api/projects/{p}/invitations/", {"role": "viewer"}),
    ("projects/<int:project_id>/invitations/<int:invitation_id>/", "DELETE"): Row(
        "owner", 204, "/api/projects/{p}/invitations/{inv}/"),
    ("invitations/<str:token>/", "GET"): Row(
        PUBLIC, 404, "/api/invitations/not-a-real-token/", scoped=False),
    ("invitations/<str:token>/accept/", "POST"): Row(
        PUBLIC, 404, "/api/invitations/not-a-real-token/accept/", {}, scoped=False),
    ("admin/users/", "GET"): Row(STAFF, 200, "/api/admin/users/", scoped=False),
    ("admin/users/", "POST"): Row(STAFF, 201, "/api/admin/users/",
                                  {"username": "new-person", "password": "a-long-password-1"},
                                  scoped=False),
    ("admin/users/<int:user_id>/", "PATCH"): Row(
        STAFF, 200, "/api/admin/users/1/", {"is_active": False}, scoped=False),
    ("admin/users/<int:user_id>/password/", "POST"): Row(
        STAFF, 200, "/api/admin/users/1/password/", {}, scoped=False),
    ("projects/<int:project_id>/members/<int:member_id>/", "PATCH"): Row(
        "owner", 200, "/api/projects/{p}/members/{m}/", {"role": "annotator"}),
    ("projects/<int:project_id>/members/<int:member_id>/", "DELETE"): Row(
        "owner", 204, "/api/projects/{p}/members/{m}/"),
    ("projects/<int:project_id>/skeleton/", "GET"): Row("viewer", 200, "/api/projects/{p}/skeleton/"),
    ("projects/<int:project_id>/skeleton/", "PUT"): Row(
        "owner", 200, "/api/projects/{p}/skeleton/", "SKELETON"),
    ("projects/<int:project_id>/videos/", "GET"): Row("viewer", 200, "/api/projects/{p}/videos/"),
    ("projects/<int:project_id>/videos/", "POST"): Row(
        "owner", 201, "/api/projects/{p}/videos/", "VIDEO", fmt="multipart"),
    ("videos/<int:video_id>/", "GET"): Row("viewer", 200, "/api/videos/{v}/"),
    ("videos/<int:video_id>/", "DELETE"): Row("owner", 204, "/api/videos/{v}/", order=1),
    ("videos/<int:video_id>/thumbnail.jpg", "GET"): Row("viewer", 200, "/api/videos/{v}/thumbnail.jpg"),
    ("videos/<int:video_id>/frames/<int:index>.jpg", "GET"): Row(
        "viewer", 200, "/api/videos/{v}/frames/5.jpg"),
    ("videos/<int:video_id>/labeled-frames/", "GET"): Row(
        "viewer", 200, "/api/videos/{v}/labeled-frames/"),
    ("videos/<int:video_id>/frames/<int:index>/labels/", "GET"): Row(
        "viewer", 200, "/api/videos/{v}/frames/{i}/labels/"),
    ("videos/<int:video_id>/frames/<int:index>/labels/", "PUT"): Row(
        "annotator", 200, "/api/videos/{v}/frames/{i}/labels/", {"version": 1, "instances": []}),
    ("videos/<int:video_id>/frames/<int:index>/history/", "GET"): Row(
        "viewer", 200, "/api/videos/{v}/frames/{i}/history/"),
    ("videos/<int:video_id>/frames/<int:index>/lock/", "POST"): Row(
        "annotator", 200, "/api/videos/{v}/frames/{i}/lock/"),
    ("videos/<int:video_id>/frames/<int:index>/lock/", "DELETE"): Row(
        "annotator", 204, "/api/videos/{v}/frames/{i}/lock/"),
    ("videos/<int:video_id>/frames/<int:index>/submit/", "POST"): Row(
        "annotator", 200, "/api/videos/{v}/frames/{i}/submit/", {}),
    ("videos/<int:video_id>/frames/<int:index>/review/", "POST"): Row(
        "reviewer", 200, "/api/videos/{v}/frames/{si}/review/", {"decision": "approve"}),
    ("videos/<int:video_id>/frames/<int:index>/comments/", "GET"): Row(
        "viewer", 200, "/api/videos/{v}/frames/{si}/comments/"),
    ("videos/<int:video_id>/pick-frames/", "POST"): Row(
        "reviewer", 202, "/api/videos/{v}/pick-frames/", {"method": "uniform", "count": 3}),
    ("pick-jobs/<int:job_id>/", "GET"): Row("viewer", 200, "/api/pick-jobs/{pj}/"),
    ("projects/<int:project_id>/next-frame/", "POST"): Row(
        "annotator", (200, 204), "/api/projects/{p}/next-frame/"),
    ("projects/<int:project_id>/presence/", "GET"): Row("viewer", 200, "/api/projects/{p}/presence/"),
    ("projects/<int:project_id>/review-queue/", "GET"): Row(
        "reviewer", 200, "/api/projects/{p}/review-queue/"),
    ("projects/<int:project_id>/my-frames/", "GET"): Row("viewer", 200, "/api/projects/{p}/my-frames/"),
    ("projects/<int:project_id>/dashboard/", "GET"): Row("viewer", 200, "/api/projects/{p}/dashboard/"),
    ("training-presets/", "GET"): Row(USER, 200, "/api/training-presets/", scoped=False),
    ("projects/<int:project_id>/training-jobs/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/training-jobs/"),
    ("projects/<int:project_id>/training-jobs/", "POST"): Row(
        "annotator", 201, "/api/projects/{p}/training-jobs/", {"preset": "fast"}),
    ("training-jobs/<int:job_id>/", "GET"): Row("viewer", 200, "/api/training-jobs/{j}/"),
    ("training-jobs/<int:job_id>/cancel/", "POST"): Row(
        "owner", 200, "/api/training-jobs/{qj}/cancel/",
        notes="the owner started it; other members may cancel only what they started"),
    ("projects/<int:project_id>/test-set/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/test-set/"),
    ("projects/<int:project_id>/test-set/", "POST"): Row(
        "owner", 400, "/api/projects/{p}/test-set/", {"count": 1, "seed": 0},
        notes="the world has 2 labeled frames and training keeps 2: a message, after the role check"),
    ("projects/<int:project_id>/test-set/frames/<int:frame_id>/", "PUT"): Row(
        "owner", 200, "/api/projects/{p}/test-set/frames/{lf}/"),
    ("projects/<int:project_id>/test-set/frames/<int:frame_id>/", "DELETE"): Row(
        "owner", 200, "/api/projects/{p}/test-set/frames/{lf}/"),
    ("projects/<int:project_id>/test-set/", "DELETE"): Row(
        "owner", 200, "/api/projects/{p}/test-set/"),
    ("projects/<int:project_id>/pretrain-jobs/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/pretrain-jobs/"),
    ("projects/<int:project_id>/pretrain-jobs/", "POST"): Row(
        "annotator", 409, "/api/projects/{p}/pretrain-jobs/", {"max_seconds": 5},
        notes="the world's queued pretraining ({qpt}): one at a time per project"),
    ("pretrain-jobs/<int:job_id>/cancel/", "POST"): Row(
        "owner", 200, "/api/pretrain-jobs/{qpt}/cancel/",
        notes="the owner started it; other members may cancel only what they started"),
    ("projects/<int:project_id>/model-versions/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/model-versions/"),
    ("model-versions/<int:version_id>/", "GET"): Row("viewer", 200, "/api/model-versions/{mv}/"),
    ("model-versions/<int:version_id>/download/", "GET"): Row(
        "viewer", 200, "/api/model-versions/{mv}/download/"),
    ("projects/<int:project_id>/inference-runs/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/inference-runs/"),
    ("projects/<int:project_id>/inference-runs/", "POST"): Row(
        "annotator", 201, "/api/projects/{p}/inference-runs/", "RUN"),
    ("inference-runs/<int:run_id>/", "GET"): Row("viewer", 200, "/api/inference-runs/{r}/"),
    ("inference-runs/<int:run_id>/cancel/", "POST"): Row(
        "owner", 200, "/api/inference-runs/{qr}/cancel/",
        notes="the owner started it; other members may cancel only what they started"),
    ("inference-runs/<int:run_id>/predictions/", "GET"): Row(
        "viewer", 200, "/api/inference-runs/{r}/predictions/"),
    ("inference-runs/<int:run_id>/export/<str:fmt>/", "GET"): Row(
        "viewer", 200, "/api/inference-runs/{r}/export/dlc-csv/"),
    ("inference-runs/<int:run_id>/retrain/", "POST"): Row(
        "annotator", 201, "/api/inference-runs/{r}/retrain/", {"preset": "fast"}),
    ("inference-runs/<int:run_id>/retrack/", "POST"): Row(
        "annotator", 202, "/api/inference-runs/{r}/retrack/", {}),
    ("inference-runs/<int:run_id>/tracks/", "GET"): Row(
        "viewer", 200, "/api/inference-runs/{r}/tracks/"),
    ("inference-runs/<int:run_id>/tracks/edits/", "GET"): Row(
        "viewer", 200, "/api/inference-runs/{r}/tracks/edits/"),
    ("inference-runs/<int:run_id>/tracks/edits/", "POST"): Row(
        "annotator", 201, "/api/inference-runs/{r}/tracks/edits/",
        {"op": "assign", "frame": 3, "instance": 0, "track": "proofread", "version": 0}),
    ("inference-runs/<int:run_id>/tracks/undo/", "POST"): Row(
        "annotator", 400, "/api/inference-runs/{r}/tracks/undo/",
        notes="nothing to undo: the neutral 400 proves the gate let it through"),
    ("inference-runs/<int:run_id>/tracks/locks/", "POST"): Row(
        "annotator", 200, "/api/inference-runs/{r}/tracks/locks/", {"start": 0, "stop": 5}),
    ("inference-runs/<int:run_id>/tracks/locks/", "DELETE"): Row(
        "annotator", 204, "/api/inference-runs/{r}/tracks/locks/"),
    ("inference-runs/<int:run_id>/tracks/accept/", "POST"): Row(
        "annotator", 200, "/api/inference-runs/{r}/tracks/accept/", {"frames": [3]}),
    ("videos/<int:video_id>/predictions/<int:frame_index>/", "GET"): Row(
        "viewer", 200, "/api/videos/{v}/predictions/3/"),
    ("projects/<int:project_id>/suggestions/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/suggestions/"),
    ("suggestions/<int:suggestion_id>/accept/", "POST"): Row(
        "annotator", 200, "/api/suggestions/{s}/accept/", {}),
    ("suggestions/<int:suggestion_id>/dismiss/", "POST"): Row(
        "annotator", 200, "/api/suggestions/{s}/dismiss/"),
    ("suggestions/<int:suggestion_id>/assign/", "POST"): Row(
        "annotator", 200, "/api/suggestions/{s}/assign/", {"username": "bob"}),
    ("projects/<int:project_id>/active-learning-settings/", "GET"): Row(
        "viewer", 200, "/api/projects/{p}/active-learning-settings/"),
    ("projects/<int:project_id>/active-learning-settings/", "PUT"): Row(
        "reviewer", 200, "/api/projects/{p}/active-learning-settings/", {"min_gap": 2}),
    ("imports/", "POST"): Row(USER, 400, "/api/imports/", {"name": "no file"}, fmt="multipart",
                              scoped=False, notes="no file: 400 proves the gate let it through"),
    ("interchange/formats/", "GET"): Row(USER, 200, "/api/interchange/formats/", scoped=False),
    ("projects/<int:project_id>/exports/", "POST"): Row(
        "viewer", 202, "/api/projects/{p}/exports/", {"format": "dlc"}),
    ("import-export-jobs/<int:job_id>/", "GET"): Row("viewer", 200, "/api/import-export-jobs/{ej}/"),
    ("import-export-jobs/<int:job_id>/download", "GET"): Row(
        "viewer", 200, "/api/import-export-jobs/{ej}/download"),
}  # fmt: skip

METHODS = ("get", "post", "put", "patch", "delete")


def api_routes() -> set[tuple[str, str]]:
    """(route, METHOD) for every view under /api/, from the live URL resolver."""
    from backend.config import urls

    found: set[tuple[str, str]] = set()

    def walk(patterns, prefix: str) -> None:
        for item in patterns:
            if isinstance(item, URLResolver):
                walk(item.url_patterns, prefix + str(item.pattern))
            elif isinstance(item, URLPattern):
                view = getattr(item.callback, "view_class", None) or getattr(
                    item.callback, "cls", None
                )
                route = prefix + str(item.pattern)
                if view is None:
                    found.add((route, "GET"))
                    continue
                found.update((route, m.upper()) for m in METHODS if hasattr(view, m))

    walk(urls.api, "")
    return found


def test_every_endpoint_is_in_the_table():
    routes = api_routes()
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    record(auth_endpoints=len(routes))
    assert not missing, f"endpoints without a row in the authorization table: {missing}"
    assert not stale, f"table rows for endpoints that no longer exist: {stale}"


def expected(row: Row, role: str, own: bool) -> tuple[int, ...]:
    ok = row.ok if isinstance(row.ok, tuple) else (row.ok,)
    if row.minimum == PUBLIC:
        return ok
    if role == "anonymous":
        return (403,)
    if row.minimum == USER:
        return ok
    if row.minimum == STAFF:
        return (403,)
    if role == "outsider" or not own:
        return (404,)
    return ok if RANK[role] >= RANK[row.minimum] else (403,)


def _body(row: Row, lab, synthetic_path):
    if row.body == "SKELETON":
        from backend.projects.services import skeleton_to_dict

        return skeleton_to_dict(lab.project)
    if row.body == "VIDEO":
        return {"file": synthetic_path.open("rb")}
    if row.body == "RUN":
        return {"model_version": lab.version.id, "videos": [lab.video.id], "render_video": False}
    return row.body


def _walk(value: Any):
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def test_authorization_matrix(world, client_for, alice, bob, rita, vic, eve, synthetic_video_file):
    own, other = world
    users = {"anonymous": None, "outsider": eve, "viewer": vic, "annotator": bob,
             "reviewer": rita, "owner": alice}  # fmt: skip
    mismatches, leaks, cells = [], [], 0
    rows = sorted(TABLE.items(), key=lambda kv: kv[1].order)
    for (route, method), row in rows:
        for lab_name, lab in (("own", own), ("other", other)):
            if lab_name == "other" and not row.scoped:
                continue
            url = row.url.format(**lab.ids)
            for role in ROLES:
                cells += 1
                want = expected(row, role, lab_name == "own")
                client = client_for(users[role])
                body = _body(row, lab, synthetic_video_file[0])
                with transaction.atomic():
                    call = getattr(client, method.lower())
                    kwargs = {"format": row.fmt} if body is not None else {}
                    response = call(url, body, **kwargs) if body is not None else call(url)
                    content = _content(response)
                    transaction.set_rollback(True)
                if response.status_code not in want:
                    mismatches.append(
                        f"{method} {url} [{lab_name}] as {role}: {response.status_code}, "
                        f"expected {want}: {content[:200]!r}"
                    )
                if lab_name == "own" and OTHER_MARK.encode() in content:
                    leaks.append(f"{method} {url} as {role} shows lab B's data")
                if (
                    lab_name == "own"
                    and response.get("Content-Type", "").startswith("application/json")
                    and role != "anonymous"
                ):
                    for obj in _walk(json.loads(content or b"null")):
                        if (
                            obj.get("project") not in (None, own.project.id)
                            and route != "projects/"
                        ):
                            leaks.append(
                                f"{method} {url} as {role}: object of project {obj['project']}"
                            )
    record(auth_cells=cells, auth_mismatches=len(mismatches) + len(leaks))
    assert not leaks, "\n".join(leaks)
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


def test_cross_lab_ids_inside_own_project_urls(world, client_for, alice):
    """Owner of A names B's objects inside A's URLs and bodies: never found, never used."""
    own, other = world
    client = client_for(alice)
    p, o = own.project.id, other.ids
    cases = [
        ("patch", f"/api/projects/{p}/members/{o['m']}/", {"role": "viewer"}, (404,)),
        ("delete", f"/api/projects/{p}/members/{o['m']}/", None, (404,)),
        ("post", f"/api/projects/{p}/inference-runs/",
         {"model_version": o["mv"], "videos": [own.video.id]}, (400,)),
        ("post", f"/api/projects/{p}/inference-runs/",
         {"model_version": own.version.id, "videos": [o["v"]]}, (400,)),
        ("post", f"/api/projects/{p}/training-jobs/",
         {"preset": "fast", "parent_version": o["mv"]}, (400,)),
        ("get", f"/api/projects/{p}/suggestions/?video={o['v']}", None, (200,)),
    ]  # fmt: skip
    for method, url, body, want in cases:
        with transaction.atomic():
            response = getattr(client, method)(url, body, format="json")
            transaction.set_rollback(True)
        assert response.status_code in want, (method, url, response.status_code, response.content)
        assert OTHER_MARK.encode() not in response.content, url
    with transaction.atomic():
        listed = client.get(f"/api/projects/{p}/suggestions/?video={o['v']}").json()
        transaction.set_rollback(True)
    assert listed == []
    assert other.member.role == "viewer"
