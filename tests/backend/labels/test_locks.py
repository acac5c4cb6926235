import threading

import pytest
from django.db import connection

from backend.labels import locks
from backend.labels.models import FrameLock, LabeledFrame
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


def test_release_lets_others_in(client_for, video, bob, rita):
    _lock(client_for(bob), video, 4)
    assert client_for(bob).delete(frame_url(video, 4, "lock")).status_code == 204
    assert not FrameLock.objects.exists()
    assert _lock(client_for(rita), video, 4).status_code == 200


def test_release_keeps_picked_and_labeled_frames(client_for, video, bob):
    make_todo(video, 4)
    save(client_for(bob), video, 5, 0)
    for index in (4, 5):
        _lock(client_for(bob), video, index)
        client_for(bob).delete(frame_url(video, index, "lock"))
    assert LabeledFrame.objects.count() == 2
    assert not FrameLock.objects.exists()


def test_release_never_touches_someone_elses_lock(client_for, video, bob, rita):
    _lock(client_for(bob), video, 4)
    assert client_for(rita).delete(frame_url(video, 4, "lock")).status_code == 204
    assert FrameLock.objects.get(frame_index=4).user == bob


def test_taking_a_frame_lets_go_of_the_previous_one(client_for, video, bob):
    make_todo(video, 4, 5)
    _lock(client_for(bob), video, 4)
    _lock(client_for(bob), video, 5)
    held = FrameLock.objects.filter(user=bob).values_list("frame_index", flat=True)
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
    make_todo(video, 4)
    _lock(client_for(bob), video, 4)
    frame = client_for(bob).get(frame_url(video, 4, "labels")).json()
    assert frame["locked_by"]["username"] == "bob"
    assert frame["version"] == 0 and frame["status"] == "todo"
    listed = client_for(bob).get(f"/api/videos/{video.id}/labeled-frames/").json()
    assert listed[0]["locked_by"]["username"] == "bob"
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
    assert LabeledFrame.objects.get(frame_index=7).assignee == bob
    assert FrameLock.objects.get(frame_index=7).user == bob


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
    assert sorted(FrameLock.objects.values_list("user__username", flat=True)) == ["bob", "rita"]


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
    frame, _, _ = locks.next_frame_claim(project=project, user=bob)
    assert frame.frame_index == 2
    assert FrameLock.objects.get(frame_index=1).user == rita


def _work(user, project, claimed: list, errors: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        while (got := locks.next_frame_claim(project=project, user=user)) is not None:
            frame, _, _ = got
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


# --- locks without rows (issue 12) -----------------------------------------


def test_locking_a_frame_that_was_never_labeled_creates_no_row(client_for, project, video, bob):
    response = _lock(client_for(bob), video, 17)
    assert response.status_code == 200
    assert response.json()["frame_index"] == 17
    assert not LabeledFrame.objects.exists()
    # Nothing for the team to count or hand out: no todo, no "labeled frame".
    dashboard = client_for(bob).get(f"/api/projects/{project.id}/dashboard/").json()
    assert sum(dashboard["by_status"].values()) == 0
    assert _next(client_for(bob), project).status_code == 204


def test_lock_and_unlock_in_a_tight_loop_never_500(client_for, video, bob, rita):
    # The workspace once locked and unlocked frames in a loop; every answer must stay clean.
    bob_client, rita_client = client_for(bob), client_for(rita)
    statuses = set()
    for index in (3, 4, 3, 4):
        statuses.add(_lock(bob_client, video, index).status_code)
        statuses.add(_lock(rita_client, video, index).status_code)
        statuses.add(bob_client.delete(frame_url(video, index, "lock")).status_code)
    assert statuses <= {200, 204, 409}
    assert not LabeledFrame.objects.exists()


def test_a_conflict_whose_holder_just_left_is_409_not_500(monkeypatch, video, bob, rita):
    locks.frame_lock(video=video, frame_index=4, user=rita)
    # As if rita let go between bob's failed claim and the read of who holds it.
    monkeypatch.setattr(locks, "_try_acquire", lambda **kwargs: False)
    FrameLock.objects.all().delete()
    with pytest.raises(locks.ConflictError) as caught:
        locks.frame_lock(video=video, frame_index=4, user=bob)
    assert caught.value.status_code == 409


def test_a_save_after_a_lock_creates_the_row_once(client_for, video, bob):
    client = client_for(bob)
    _lock(client, video, 6)
    assert save(client, video, 6, 0).status_code == 200
    frame = LabeledFrame.objects.get(frame_index=6)
    assert (frame.version, frame.status, frame.assignee) == (1, "in_progress", bob)
    assert FrameLock.objects.get(frame_index=6).user == bob  # the lock is still held


def test_a_renewal_of_the_previous_frame_at_the_same_moment_does_not_lose_the_claim(
    monkeypatch, project, video, bob
):
    make_todo(video, 1, 2)
    locks.frame_lock(video=video, frame_index=9, user=bob)  # the frame bob's workspace shows
    real = locks._release_others
    raced = []

    def renewal_races(*, project_id, user, video_id, frame_index):
        real(project_id=project_id, user=user, video_id=video_id, frame_index=frame_index)
        if not raced:  # the workspace renews frame 9 just now: it releases bob's other locks
            raced.append(frame_index)
            real(project_id=project_id, user=user, video_id=video_id, frame_index=9)

    monkeypatch.setattr(locks, "_release_others", renewal_races)
    frame, lock, _ = locks.next_frame_claim(project=project, user=bob)
    assert raced == [frame.frame_index] and lock.frame_index == frame.frame_index
    assert list(FrameLock.objects.values_list("frame_index", "user__username")) == [
        (frame.frame_index, "bob")
    ]
