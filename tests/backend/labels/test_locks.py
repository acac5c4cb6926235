import threading

import pytest
from django.db import connection

from backend.labels import locks
from backend.labels.models import LabeledFrame
from tests.backend.labels.conftest import frame_url, make_todo, save

pytestmark = pytest.mark.django_db


def _lock(client, video, index):
    return client.post(frame_url(video, index, "lock"))


def _next(client, project):
    return client.post(f"/api/projects/{project.id}/next-frame/")


def test_lock_is_taken_and_renewed(client_for, video, bob, clock):
    client = client_for(bob)
    first = _lock(client, video, 4)
    assert first.status_code == 200
    assert first.json()["user"]["username"] == "bob"
    clock.advance(60)
    renewed = _lock(client, video, 4).json()
    assert renewed["expires"] > first.json()["expires"]
    assert renewed["since"] == first.json()["since"]


def test_someone_elses_live_lock_is_409_with_their_name(client_for, video, bob, rita):
    _lock(client_for(bob), video, 4)
    response = _lock(client_for(rita), video, 4)
    assert response.status_code == 409
    assert "bob" in response.json()["message"]
    assert response.json()["extra"]["lock"]["user"]["username"] == "bob"


def test_an_expired_lock_can_be_taken(client_for, video, bob, rita, clock, settings):
    settings.LABEL_LOCK_SECONDS = 30
    _lock(client_for(bob), video, 4)
    clock.advance(29)
    assert _lock(client_for(rita), video, 4).status_code == 409
    clock.advance(2)
    assert _lock(client_for(rita), video, 4).status_code == 200


def test_release_lets_others_in_and_drops_the_empty_row(client_for, video, bob, rita):
    _lock(client_for(bob), video, 4)
    assert LabeledFrame.objects.get(frame_index=4).status == "todo"
    assert client_for(bob).delete(frame_url(video, 4, "lock")).status_code == 204
    assert not LabeledFrame.objects.exists()
    assert _lock(client_for(rita), video, 4).status_code == 200


def test_release_keeps_picked_and_labeled_frames(client_for, video, bob):
    make_todo(video, 4)
    save(client_for(bob), video, 5, 0)
    for index in (4, 5):
        _lock(client_for(bob), video, index)
        client_for(bob).delete(frame_url(video, index, "lock"))
    assert LabeledFrame.objects.count() == 2
    assert not LabeledFrame.objects.filter(locked_by__isnull=False).exists()


def test_release_never_touches_someone_elses_lock(client_for, video, bob, rita):
    _lock(client_for(bob), video, 4)
    assert client_for(rita).delete(frame_url(video, 4, "lock")).status_code == 204
    assert LabeledFrame.objects.get(frame_index=4).locked_by == bob


def test_taking_a_frame_lets_go_of_the_previous_one(client_for, video, bob):
    make_todo(video, 4, 5)
    _lock(client_for(bob), video, 4)
    _lock(client_for(bob), video, 5)
    held = LabeledFrame.objects.filter(locked_by=bob).values_list("frame_index", flat=True)
    assert list(held) == [5]


def test_lock_out_of_range_is_400(client_for, video, bob):
    response = _lock(client_for(bob), video, 999)
    assert response.status_code == 400
    assert "out of range" in response.json()["message"]


@pytest.mark.parametrize(
    "who,status", [("alice", 200), ("rita", 200), ("bob", 200), ("vic", 403), ("eve", 404)]
)
def test_who_may_lock(request, client_for, video, who, status):
    assert _lock(client_for(request.getfixturevalue(who)), video, 4).status_code == status


def test_saves_are_governed_by_version_not_by_locks(client_for, video, bob, rita):
    _lock(client_for(bob), video, 4)
    assert save(client_for(rita), video, 4, 0).status_code == 200
    assert save(client_for(bob), video, 4, 0).status_code == 409


def test_frame_json_shows_the_live_lock_only(client_for, video, bob, clock):
    _lock(client_for(bob), video, 4)
    frame = client_for(bob).get(frame_url(video, 4, "labels")).json()
    assert frame["locked_by"]["username"] == "bob"
    assert frame["version"] == 0 and frame["status"] == "todo"
    clock.advance(3600)
    frame = client_for(bob).get(frame_url(video, 4, "labels")).json()
    assert frame["locked_by"] is None and frame["lock_expires_at"] is None


def test_presence_lists_live_locks(client_for, project, video, bob, rita, vic, clock):
    _lock(client_for(bob), video, 4)
    _lock(client_for(rita), video, 9)
    response = client_for(vic).get(f"/api/projects/{project.id}/presence/")
    assert response.status_code == 200
    people = {(p["user"]["username"], p["frame_index"]) for p in response.json()}
    assert people == {("bob", 4), ("rita", 9)}
    assert {"since", "expires", "video"} <= set(response.json()[0])
    clock.advance(3600)
    assert client_for(vic).get(f"/api/projects/{project.id}/presence/").json() == []


def test_presence_is_404_for_outsiders(client_for, project, eve):
    assert client_for(eve).get(f"/api/projects/{project.id}/presence/").status_code == 404


# --- next frame -------------------------------------------------------------


def test_next_frame_prefers_my_rejected_then_todo_then_unassigned(
    client_for, project, video, bob, alice
):
    LabeledFrame.objects.create(video=video, frame_index=1, status="in_progress", version=1)
    make_todo(video, 2)
    LabeledFrame.objects.create(
        video=video, frame_index=3, status="rejected", version=1, assignee=bob
    )
    LabeledFrame.objects.create(
        video=video, frame_index=0, status="rejected", version=1, assignee=alice
    )
    client, got = client_for(bob), []
    for version in (1, 0, 1):
        body = _next(client, project).json()
        got.append((body["frame_index"], body["reason"]))
        assert save(client, video, body["frame_index"], version).status_code == 200
    assert got == [(3, "rejected"), (2, "todo"), (1, "unassigned")]
    assert _next(client, project).status_code == 204


def test_next_frame_again_moves_on_and_comes_back_later(client_for, project, video, bob):
    make_todo(video, 1, 2)
    client = client_for(bob)
    assert [_next(client, project).json()["frame_index"] for _ in range(3)] == [1, 2, 1]


def test_next_frame_locks_and_assigns_the_frame(client_for, project, video, bob):
    make_todo(video, 7)
    body = _next(client_for(bob), project).json()
    assert body["video"] == video.id and body["lock_expires_at"]
    frame = LabeledFrame.objects.get(frame_index=7)
    assert frame.locked_by == bob and frame.assignee == bob


def test_next_frame_skips_frames_someone_else_is_on(client_for, project, video, bob, rita):
    make_todo(video, 1, 2)
    _lock(client_for(rita), video, 1)
    assert _next(client_for(bob), project).json()["frame_index"] == 2


def test_next_frame_is_204_when_nothing_is_left(client_for, project, video, bob, rita):
    make_todo(video, 1)
    _lock(client_for(rita), video, 1)
    LabeledFrame.objects.create(video=video, frame_index=2, status="approved", version=1)
    assert _next(client_for(bob), project).status_code == 204


@pytest.mark.parametrize(
    "who,status", [("alice", 200), ("rita", 200), ("bob", 200), ("vic", 403), ("eve", 404)]
)
def test_who_may_ask_for_the_next_frame(request, client_for, project, video, who, status):
    make_todo(video, 1)
    assert _next(client_for(request.getfixturevalue(who)), project).status_code == status


def test_two_annotators_alternating_never_share_a_frame(client_for, project, video, bob, rita):
    make_todo(video, *range(20))
    clients = {"bob": client_for(bob), "rita": client_for(rita)}
    holding: dict[str, int] = {}
    for step in range(40):
        me, other = ("bob", "rita") if step % 2 == 0 else ("rita", "bob")
        index = _next(clients[me], project).json()["frame_index"]
        assert index != holding.get(other), f"step {step}: {me} got {other}'s frame {index}"
        holding[me] = index
    locked = LabeledFrame.objects.filter(locked_by__isnull=False)
    assert sorted(f.locked_by.username for f in locked) == ["bob", "rita"]


def test_a_stale_candidate_list_cannot_steal_a_lock(monkeypatch, project, video, bob, rita):
    make_todo(video, 1, 2)
    locks.frame_lock(video=video, frame_index=1, user=rita)
    # As if the candidates had been read just before rita took frame 1.
    monkeypatch.setattr(
        locks,
        "_candidates",
        lambda project, user, condition, now: LabeledFrame.objects.filter(
            video__project=project, status="todo"
        ).order_by("frame_index"),
    )
    frame, _ = locks.next_frame_claim(project=project, user=bob)
    assert frame.frame_index == 2
    assert LabeledFrame.objects.get(frame_index=1).locked_by == rita


def _work(user, project, claimed: list, errors: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        while (got := locks.next_frame_claim(project=project, user=user)) is not None:
            frame, _ = got
            claimed.append(frame.frame_index)
            # Done with it: only a frame handed to two people at once fails this update.
            done = LabeledFrame.objects.filter(pk=frame.pk, status="todo").update(status="approved")
            assert done == 1, f"frame {frame.frame_index} was handed out twice"
    except Exception as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_threads_never_get_the_same_frame(project, video, bob, rita):
    make_todo(video, *range(30))
    claimed: dict[str, list[int]] = {"bob": [], "rita": []}
    errors: list[Exception] = []
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=_work, args=(u, project, claimed[u.username], errors, barrier))
        for u in (bob, rita)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    everything = claimed["bob"] + claimed["rita"]
    assert sorted(everything) == list(range(30))
