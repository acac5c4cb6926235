"""The save path stays cheap and its in-memory answer stays true.

A save no longer re-reads the frame after writing it, so every case checks that
the PUT's answer is exactly what a fresh GET shows; and the number of queries a
save costs is pinned, so a change that adds one is a decision, not an accident.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.labels.models import LabeledFrame, LabelHistory
from tests.backend.labels.conftest import frame_url, make_todo, points, save

pytestmark = pytest.mark.django_db

# Video + role (one query), node ids, frame + instances + comments, conditional UPDATE,
# DELETE + INSERT of instances, one history INSERT, the lock shown in the answer.
SAVE_QUERIES = 10


def _get(client, video, index):
    return client.get(frame_url(video, index, "labels")).json()


def _writes(queries) -> list[str]:
    """The statements of a save, without the test transaction's savepoints."""
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


def test_a_save_costs_a_fixed_number_of_queries(client_for, project, video, bob):
    client = client_for(bob)
    assert save(client, video, 3, 0).status_code == 200
    body = {"version": 1, "instances": [{"points": points(project, x=20.0)}]}
    with CaptureQueriesContext(connection) as captured:
        response = client.put(frame_url(video, 3, "labels"), body, format="json")
    assert response.status_code == 200, response.content
    statements = _writes(captured.captured_queries)
    assert len(statements) == SAVE_QUERIES, "\n".join(statements)
    updates = [s for s in statements if s.startswith('UPDATE "labels_labeledframe"')]
    assert len(updates) == 1 and '"version" = 1' in updates[0]  # the WHERE of the conditional write
    assert sum(s.startswith('INSERT INTO "labels_labelhistory"') for s in statements) == 1


def test_the_first_save_answers_what_a_reload_shows(client_for, video, bob):
    client = client_for(bob)
    saved = save(client, video, 3, 0).json()
    assert saved == _get(client, video, 3)
    assert saved["version"] == 1 and saved["assignee"]["username"] == "bob"


def test_an_update_answers_what_a_reload_shows(client_for, project, video, bob, rita):
    save(client_for(bob), video, 3, 0)
    client_for(bob).post(frame_url(video, 3, "lock"))
    saved = save(client_for(rita), video, 3, 1, project, [{"points": points(project, 30.0)}])
    assert saved.status_code == 200
    assert saved.json() == _get(client_for(rita), video, 3)
    assert saved.json()["updated_by"]["username"] == "rita"
    assert saved.json()["assignee"]["username"] == "bob"  # the first editor keeps the frame
    assert saved.json()["locked_by"]["username"] == "bob"


def test_a_picked_frame_saves_through_the_same_update(client_for, video, bob):
    make_todo(video, 4)
    saved = save(client_for(bob), video, 4, 0).json()
    assert saved == _get(client_for(bob), video, 4)
    assert saved["status"] == "in_progress" and saved["version"] == 1
    assert LabeledFrame.objects.filter(video=video, frame_index=4).count() == 1


def test_reopening_an_approved_frame_answers_what_a_reload_shows(
    client_for, project, video, alice, bob
):
    save(client_for(bob), video, 3, 0)
    client_for(bob).post(frame_url(video, 3, "submit"), {}, format="json")
    approve = {"decision": "approve"}
    response = client_for(alice).post(frame_url(video, 3, "review"), approve, format="json")
    assert response.status_code == 200
    saved = save(client_for(alice), video, 3, 1, project, [{"points": points(project, 9.0)}])
    assert saved.json() == _get(client_for(alice), video, 3)
    assert saved.json()["status"] == "submitted"
    assert saved.json()["submitted_by"]["username"] == "alice"
    actions = list(LabelHistory.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["create", "submit", "approve", "update", "reopen"]


def test_a_stale_save_writes_nothing_and_answers_the_current_state(
    client_for, project, video, bob, rita
):
    save(client_for(bob), video, 3, 0)
    save(client_for(bob), video, 3, 1, project, [{"points": points(project, 50.0)}])
    stale = save(client_for(rita), video, 3, 1, project, [{"points": points(project, 1.0)}])
    assert stale.status_code == 409
    current = stale.json()["extra"]["current"]
    assert current == _get(client_for(rita), video, 3)
    assert current["instances"][0]["points"][0]["x"] == 50.0
    assert LabelHistory.objects.count() == 2


def test_bad_instances_are_refused_before_anything_is_written(client_for, video, bob):
    response = save(client_for(bob), video, 3, 0, instances=[{"points": [{"node": 999}]}])
    assert response.status_code == 400
    assert "not in the skeleton" in response.json()["message"]
    assert not LabeledFrame.objects.exists()
